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

/** Turns schema issues into one short line for an error message. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')
}
