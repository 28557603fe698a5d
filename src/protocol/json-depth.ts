/**
 * How deep the JSON a client or a backend sends may nest. Deeper values are
 * refused up front: JSON.stringify recurses, so a deep enough value would
 * overflow the stack when the daemon builds a frame from it.
 */
export const MAX_JSON_DEPTH = 32

/** Whether `value` holds an object or array at `max` levels down or deeper. Iterative, so any depth is safe to check. */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  const pending: Array<[unknown, number]> = [[value, 0]]
  while (pending.length > 0) {
    const [item, depth] = pending.pop()!
    if (item === null || typeof item !== 'object') continue
    if (depth >= max) return true
    for (const child of Object.values(item)) pending.push([child, depth + 1])
  }
  return false
}
