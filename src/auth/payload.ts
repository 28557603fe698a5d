import { z } from 'zod'

/**
 * What an auth token carries: the fields MSwoole-ws controllers read
 * (`$data['auth']['type']`, `['nickname']`…). Loose, because the PHP side may
 * add its own fields and they must reach the controllers untouched.
 */
export const AuthPayloadSchema = z.looseObject({
  id: z.union([z.string(), z.number()]),
  type: z.string(),
  code: z.string(),
  nickname: z.string(),
  /** Unix seconds when the token was minted; max_age is measured from it. */
  ctime: z.number(),
})

export type AuthPayload = z.infer<typeof AuthPayloadSchema>

/** Turns schema issues into one short line for an error message. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')
}
