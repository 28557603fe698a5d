/** Keys pino writes itself on every line, before the fields. */
const LINE_KEYS = new Set(['level', 'time', 'msg'])

/**
 * The fields of one log line: the daemon's identity (pid, node) first, then
 * the caller's. pino writes a field named like a key the line already has a
 * second time (and JSON.parse keeps the last), so such a field is dropped when
 * it says the same as the identity, and kept as `_<name>` otherwise.
 */
export function mergeLineFields(fields: object, identity: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const merged: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(identity)) put(merged, key, value)
  const own = Object.entries(fields)
  const taken = new Set([...Object.keys(identity), ...own.map(([key]) => key)])
  for (const [key, value] of own) {
    if (Object.hasOwn(identity, key)) {
      if (value === identity[key]) continue
    } else if (!LINE_KEYS.has(key)) {
      put(merged, key, value)
      continue
    }
    let name = `_${key}`
    while (taken.has(name)) name = `_${name}`
    taken.add(name)
    put(merged, name, value)
  }
  return merged
}

/** Assigns as an own key, even `__proto__` (an app's fields come from JSON). */
function put(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true })
}
