/**
 * PHP's empty() on a value decoded from JSON: what the seed treated as absent
 * (a param it left out of a frame, a `status` that rejects a message).
 */
export function phpEmpty(value: unknown): boolean {
  if (value === undefined || value === null || value === false || value === 0 || value === '' || value === '0') return true
  if (Array.isArray(value)) return value.length === 0
  // json_decode($json, true) makes {} an empty array.
  return typeof value === 'object' && Object.keys(value).length === 0
}
