import type { IncomingMessage } from 'node:http'
import { decodeToken, type AuthCodecName } from '../../auth/codec.js'
import type { AuthPayload } from '../../auth/payload.js'
import { MswError } from '../../errors.js'
import { refusal } from './refusal.js'

export interface AuthSettings {
  enabled: boolean
  codec: AuthCodecName
  key: string
  /** Seconds; 0 = no limit on a token's ctime. */
  maxAge: number
}

/**
 * Checks `?auth=<token>` at the upgrade. With auth disabled every client is
 * let in (anonymous), and a valid token still tells who it is.
 */
export async function authenticate(req: IncomingMessage, settings: AuthSettings): Promise<AuthPayload | undefined> {
  const token = new URL(req.url ?? '/', 'ws://outside').searchParams.get('auth')
  if (!settings.enabled) {
    if (!token) return undefined
    return decodeToken(settings.codec, token, settings.key, { maxAge: settings.maxAge }).catch(() => undefined)
  }
  if (!token) throw new MswError('MSW_ERR_AUTH_INVALID', 'missing auth token')
  return decodeToken(settings.codec, token, settings.key, { maxAge: settings.maxAge })
}

/** The seed's refusal: HTTP 403 with the header `message: error auth`, and no upgrade. */
export const AUTH_REFUSAL = refusal(403, { message: 'error auth' })
