/**
 * Form bodies and query strings as PHP backends send them (`http_build_query`):
 * `a=1&b[]=2&b[]=3&c[x]=4`, turned into the params of a control method.
 */

export type FormValue = string | FormValue[] | { [key: string]: FormValue }
type FormObject = { [key: string]: FormValue }

/** A field nested deeper than this is dropped (PHP drops past max_input_nesting_level too). */
const MAX_DEPTH = 8
const NUMERIC_FIELDS = new Set(['fd', 'code', 'status', 'offset', 'limit'])
/** Flags given as `1`/`true` (and `0`/`false`/empty for off). */
const FLAG_FIELDS = new Set(['all', 'presence'])

/** Parses `application/x-www-form-urlencoded` text, building nested values from PHP's `name[key]` and `name[]`. */
export function parseForm(text: string): FormObject {
  const result: FormObject = Object.create(null) as FormObject
  for (const [name, value] of new URLSearchParams(text)) {
    const path = keyPath(name)
    if (path) assign(result, path, value)
  }
  return result
}

/** `a[b][]` → ["a", "b", ""]; a name not of that shape is one plain key; undefined drops the field. */
function keyPath(name: string): string[] | undefined {
  const open = name.indexOf('[')
  if (open <= 0) return name === '' ? undefined : [name]
  const path = [name.slice(0, open)]
  const brackets = /\[([^\]]*)\]/y
  let at = open
  while (at < name.length) {
    if (path.length > MAX_DEPTH) return undefined
    brackets.lastIndex = at
    const match = brackets.exec(name)
    if (!match) return [name]
    path.push(match[1]!)
    at = brackets.lastIndex
  }
  return path
}

function assign(target: FormObject | FormValue[], path: string[], value: string): void {
  const [key, ...rest] = path as [string, ...string[]]
  if (Array.isArray(target)) {
    if (rest.length === 0) {
      target.push(value)
      return
    }
    const child = container(rest[0]!)
    target.push(child)
    assign(child, rest, value)
    return
  }
  if (rest.length === 0) {
    target[key] = value
    return
  }
  let child = target[key]
  const wantsList = rest[0] === ''
  if (typeof child !== 'object' || Array.isArray(child) !== wantsList) {
    child = container(rest[0]!)
    target[key] = child
  }
  assign(child, rest, value)
}

function container(nextKey: string): FormObject | FormValue[] {
  return nextKey === '' ? [] : (Object.create(null) as FormObject)
}

/**
 * Gives form fields the types the method table expects: `fd`, `code`, `status`,
 * `offset`, `limit` as numbers when numeric; `param` JSON-decoded when it is JSON;
 * `except` from `1,2,3` or `except[]=1&except[]=2`; `all=1|true` (and `presence`) as true.
 * Anything left a string the schema refuses is reported by the schema, naming the key.
 */
export function coerceFormParams(fields: FormObject): Record<string, unknown> {
  const params: Record<string, unknown> = Object.create(null) as Record<string, unknown>
  for (const [key, value] of Object.entries(fields)) {
    if (NUMERIC_FIELDS.has(key)) params[key] = typeof value === 'string' ? numberOr(value) : value
    else if (key === 'param') params[key] = typeof value === 'string' ? jsonOr(value) : value
    else if (key === 'except') params[key] = exceptList(value)
    else if (FLAG_FIELDS.has(key)) {
      const flag = typeof value === 'string' ? value.trim().toLowerCase() : value
      if (flag === '1' || flag === 'true') params[key] = true
      else if (flag !== '0' && flag !== 'false' && flag !== '') params[key] = value
    } else params[key] = value
  }
  return params
}

function numberOr(text: string): number | string {
  return /^\s*-?\d+(\.\d+)?\s*$/.test(text) ? Number(text) : text
}

function jsonOr(text: string): unknown {
  try {
    return JSON.parse(text) as unknown
  } catch {
    return text
  }
}

function exceptList(value: FormValue): unknown {
  const items = typeof value === 'string' ? value.split(',') : Array.isArray(value) ? value : Object.values(value)
  return items.flatMap((item): unknown[] => (typeof item !== 'string' ? [item] : item.trim() === '' ? [] : [numberOr(item)]))
}
