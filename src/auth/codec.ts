import { MswError } from '../errors.js'
import { decodeMswooleToken, encodeMswooleToken } from './mswoole-codec.js'
import type { AuthPayload } from './payload.js'

/** The JWT codec and jose load on first use: a daemon on the seed's tokens never needs them. */
const jwtCodec = () => import('./jwt-codec.js')

/** One entry point over both token formats, so config can pick `auth.codec`. */
export type AuthCodecName = 'mswoole' | 'jwt'

export interface EncodeTokenOptions {
  /** JWT only: lifetime in seconds (sets `exp`). The legacy format has no expiry field. */
  ttlSeconds?: number
  /** JWT only: Unix seconds used as `iat`. */
  now?: number
}

export interface DecodeTokenOptions {
  /** Seconds a token stays valid after its `ctime`; 0 or absent = no limit. */
  maxAge?: number
  /** Unix seconds (not ms) to judge age and `exp` against; defaults to the clock. */
  now?: number
}

/** How far a token's ctime may run ahead of this machine's clock (the minting backend's clock may be ahead). */
export const MAX_CLOCK_SKEW_SECONDS = 300

export async function encodeToken(codec: AuthCodecName, payload: object, key: string, opts: EncodeTokenOptions = {}): Promise<string> {
  switch (codec) {
    case 'mswoole':
      return encodeMswooleToken(payload, key)
    case 'jwt':
      return (await jwtCodec()).signJwtToken(payload, key, opts)
    default:
      throw new MswError('MSW_ERR_INVALID_ARGUMENT', `unknown auth codec: ${String(codec)}`)
  }
}

export async function decodeToken(codec: AuthCodecName, token: string, key: string, opts: DecodeTokenOptions = {}): Promise<AuthPayload> {
  const { maxAge = 0, now = Math.floor(Date.now() / 1000) } = opts
  if (!Number.isFinite(maxAge) || maxAge < 0)
    throw new MswError('MSW_ERR_INVALID_ARGUMENT', 'maxAge must be a non-negative number of seconds')
  let payload: AuthPayload
  switch (codec) {
    case 'mswoole':
      payload = decodeMswooleToken(token, key)
      break
    case 'jwt':
      payload = await (await jwtCodec()).verifyJwtToken(token, key, { now })
      break
    default:
      throw new MswError('MSW_ERR_INVALID_ARGUMENT', `unknown auth codec: ${String(codec)}`)
  }
  if (maxAge > 0) checkAge(payload, maxAge, now)
  return payload
}

function checkAge(payload: AuthPayload, maxAge: number, now: number): void {
  // A legacy token may lack ctime (MSwoole-ws never read it): its age is unknown, so it cannot pass a limit.
  if (payload.ctime === undefined) throw new MswError('MSW_ERR_AUTH_INVALID', 'token has no ctime and auth.max_age is set')
  // Legacy tokens never expire by themselves; ctime + maxAge is their only limit.
  if (now - payload.ctime > maxAge) {
    throw new MswError('MSW_ERR_AUTH_EXPIRED', `token older than ${maxAge}s`, { details: { ctime: payload.ctime, maxAge } })
  }
  // A ctime in the future would never age out (legacy ECB blocks can be spliced to make one,
  // and a backend minting milliseconds makes one by mistake): refused, beyond a clock skew.
  if (payload.ctime - now > MAX_CLOCK_SKEW_SECONDS) {
    throw new MswError('MSW_ERR_AUTH_INVALID', `token ctime is ${payload.ctime - now}s in the future`, {
      details: { ctime: payload.ctime },
    })
  }
}
