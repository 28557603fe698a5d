import { z } from 'zod'

/**
 * What an auth token carries: the fields MSwoole-ws controllers read
 * (`$data['auth']['type']`, `['nickname']`…). Loose, because the PHP side may
 * add its own fields and they must reach the controllers untouched.
 *
 * This is the full form: what JWTs must carry and what `encodeToken` mints.
 */
export const AuthPayloadSchema = z.looseObject({
  id: z.union([z.string(), z.number()]),
  type: z.string(),
  code: z.string(),
  nickname: z.string(),
  /** Unix seconds when the token was minted; max_age is measured from it. */
  ctime: z.number(),
})

const STRING_OR_NUMBER = { error: 'expected a string or a number' }

/** A string as PHP would have printed the value: numbers as digits, null (or nothing) as ''. */
const phpString = z
  .union([z.string(), z.number()], STRING_OR_NUMBER)
  .nullish()
  .transform((v) => (v === null || v === undefined ? '' : String(v)))

/**
 * A legacy token as MSwoole-ws's checkAtuh took it: any object. Backends left
 * out nickname, type or ctime, wrote numbers for code and ctime as a string.
 * Normalised to the full form's types, so controllers see the same shapes
 * either way. `id` and `code` stay required: the daemon binds the connection's
 * uid and room to them, and a token without them is easier to splice together.
 */
export const LegacyPayloadSchema = z.looseObject({
  id: z.union([z.string(), z.number()], STRING_OR_NUMBER),
  code: z.union([z.string(), z.number()], STRING_OR_NUMBER).transform(String),
  type: phpString,
  nickname: phpString,
  // time() written as a string ("1764000000") still counts; a missing ctime stays missing.
  ctime: z
    .union(
      [
        z.number(),
        z
          .string()
          .regex(/^\d{1,15}$/)
          .transform(Number),
      ],
      { error: 'expected Unix seconds, as a number or a string of digits' },
    )
    .nullish()
    .transform((v) => v ?? undefined),
})

/** A decoded token. `ctime` is absent only from a legacy token minted without one. */
export interface AuthPayload {
  id: string | number
  type: string
  code: string
  nickname: string
  ctime?: number
  [field: string]: unknown
}

/**
 * A decoded payload copied into a fresh object, its known fields first in one
 * order: the daemon holds one per connection, and objects built alike share one
 * hidden class, where each of zod's outputs gets its own (some 200 bytes more).
 * `ctimeLast` keeps the legacy form's order, where ctime follows the backend's own fields.
 */
export function heldPayload(data: AuthPayload, ctimeLast = false): AuthPayload {
  // A legacy token with no fields of the backend's own, the usual case: ctime in the literal
  // too, as a field added afterwards would take a property array of its own (40 bytes).
  if (ctimeLast && data.ctime !== undefined && onlyKnownFields(data))
    return { id: data.id, code: shared(data.code), type: shared(data.type), nickname: data.nickname, ctime: data.ctime }
  const held: AuthPayload = ctimeLast
    ? { id: data.id, code: shared(data.code), type: shared(data.type), nickname: data.nickname }
    : { id: data.id, type: shared(data.type), code: shared(data.code), nickname: data.nickname, ctime: data.ctime }
  for (const key of Object.keys(data)) {
    if (Object.hasOwn(held, key) || key === 'ctime') continue
    // An own field, never the prototype, should a backend write "__proto__".
    if (key === '__proto__') Object.defineProperty(held, key, { value: data[key], enumerable: true, writable: true, configurable: true })
    else held[key] = data[key]
  }
  if (ctimeLast && data.ctime !== undefined) held.ctime = data.ctime
  return held
}

const KNOWN_FIELDS: ReadonlySet<string> = new Set(['id', 'type', 'code', 'nickname', 'ctime'])

function onlyKnownFields(data: AuthPayload): boolean {
  for (const key of Object.keys(data)) if (!KNOWN_FIELDS.has(key)) return false
  return true
}

/** Room codes and user types seen so far: thousands of tokens carry the same few, held once. */
const SHARED = new Map<string, string>()
const SHARED_MAX = 4096

function shared(value: string): string {
  const known = SHARED.get(value)
  if (known !== undefined) return known
  // Bounded: past it, a value is kept as it came.
  if (SHARED.size < SHARED_MAX && value.length <= 64) SHARED.set(value, value)
  return value
}

/** Turns schema issues into one short line for an error message. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')
}
