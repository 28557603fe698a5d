const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#039;' }
const SPECIAL = /[&<>"']/g
const HAS_SPECIAL = /[&<>"']/

/** PHP's htmlspecialchars with ENT_QUOTES, which the seed applied to every client string. */
export function escapeHtml(text: string): string {
  return HAS_SPECIAL.test(text) ? text.replace(SPECIAL, (c) => ENTITIES[c] ?? c) : text
}

/** Escapes every string in a decoded JSON value, at any depth; keys are left alone. */
export function escapeStrings(value: unknown): unknown {
  if (typeof value === 'string') return escapeHtml(value)
  if (Array.isArray(value)) return value.map(escapeStrings)
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const [key, item] of Object.entries(value)) out[key] = escapeStrings(item)
    return out
  }
  return value
}
