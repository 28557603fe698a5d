import { SignJWT, jwtVerify, errors as joseErrors, type JWTPayload } from 'jose'
import { MswError } from '../errors.js'
import { AuthPayloadSchema, describeIssues, heldPayload, type AuthPayload } from './payload.js'

/** JWT (HS256) alternative to the legacy 3DES token; same payload shape. */

export interface JwtSignOptions {
  /** Lifetime in seconds; sets `exp`. Absent or 0 = no expiry. */
  ttlSeconds?: number
  /** Unix seconds used as `iat` (tests, replays); defaults to the clock. */
  now?: number
}

export interface JwtVerifyOptions {
  /** Unix seconds to check `exp`/`nbf` against; defaults to the clock. */
  now?: number
}

// ctime may be left out: verify fills it from iat.
const SignPayloadSchema = AuthPayloadSchema.extend({ ctime: AuthPayloadSchema.shape.ctime.optional() })

function secret(key: string): Uint8Array {
  if (typeof key !== 'string' || key === '') throw new MswError('MSW_ERR_INVALID_ARGUMENT', 'auth key must be a non-empty string')
  return new TextEncoder().encode(key)
}

export async function signJwtToken(payload: object, key: string, opts: JwtSignOptions = {}): Promise<string> {
  const k = secret(key)
  const parsed = SignPayloadSchema.safeParse(payload)
  if (!parsed.success) throw new MswError('MSW_ERR_INVALID_ARGUMENT', `invalid auth payload: ${describeIssues(parsed.error)}`)
  const { ttlSeconds = 0, now = Math.floor(Date.now() / 1000) } = opts
  if (!Number.isFinite(ttlSeconds) || ttlSeconds < 0)
    throw new MswError('MSW_ERR_INVALID_ARGUMENT', 'ttlSeconds must be a non-negative number')
  const jwt = new SignJWT(parsed.data as JWTPayload).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuedAt(now)
  if (ttlSeconds > 0) jwt.setExpirationTime(now + ttlSeconds)
  return jwt.sign(k)
}

export async function verifyJwtToken(token: string, key: string, opts: JwtVerifyOptions = {}): Promise<AuthPayload> {
  const k = secret(key)
  if (typeof token !== 'string' || token === '') throw new MswError('MSW_ERR_AUTH_INVALID', 'token is empty')
  let claims: JWTPayload
  try {
    // Pinning algorithms is what refuses alg "none", RS256 and friends.
    const res = await jwtVerify(token, k, {
      algorithms: ['HS256'],
      ...(opts.now === undefined ? {} : { currentDate: new Date(opts.now * 1000) }),
    })
    claims = res.payload
  } catch (err) {
    if (err instanceof joseErrors.JWTExpired) throw new MswError('MSW_ERR_AUTH_EXPIRED', 'token expired', { cause: err })
    throw new MswError('MSW_ERR_AUTH_INVALID', `token refused: ${(err as Error)?.message ?? String(err)}`, { cause: err })
  }
  const value = claims.ctime === undefined && typeof claims.iat === 'number' ? { ...claims, ctime: claims.iat } : claims
  const parsed = AuthPayloadSchema.safeParse(value)
  if (!parsed.success) throw new MswError('MSW_ERR_AUTH_INVALID', `token payload is invalid: ${describeIssues(parsed.error)}`)
  return heldPayload(parsed.data)
}
