import { createCipheriv, createDecipheriv } from 'node:crypto'
import { MswError } from '../errors.js'
import { phpJsonEncode } from '../protocol/php-json.js'
import { AuthPayloadSchema, LegacyPayloadSchema, describeIssues, heldPayload, type AuthPayload } from './payload.js'
import { strictJsonProblem } from './strict-json.js'

/**
 * MSwoole-ws's legacy token: PHP `Encrypt::des(json_encode($user), $key)`.
 * 3DES-EDE3/ECB, PKCS5 padding, base64 with '+' '/' '=' swapped for '*' ':' '_'.
 */

const KEY_BYTES = 24

/** PHP: str_pad($key, 24, '0'); mcrypt then cuts keys longer than 24 bytes. */
function desKey(key: string): Buffer {
  // PHP would fall back to the public default key 'Marico_key' here; refuse instead.
  if (typeof key !== 'string' || key === '') throw new MswError('MSW_ERR_INVALID_ARGUMENT', 'auth key must be a non-empty string')
  const bytes = Buffer.from(key, 'utf8')
  const out = Buffer.alloc(KEY_BYTES, '0')
  bytes.copy(out, 0, 0, KEY_BYTES)
  return out
}

/** json_encode with PHP's default flags, so our tokens match PHP's byte for byte. */
export { phpJsonEncode }

export function encodeMswooleToken(payload: object, key: string): string {
  const parsed = AuthPayloadSchema.safeParse(payload)
  // Refuse to mint a token our own decoder would reject.
  if (!parsed.success) throw new MswError('MSW_ERR_INVALID_ARGUMENT', `invalid auth payload: ${describeIssues(parsed.error)}`)
  let json: string
  try {
    json = phpJsonEncode(payload)
  } catch (err) {
    if (err instanceof MswError) throw err
    throw new MswError('MSW_ERR_INVALID_ARGUMENT', 'payload is not JSON-encodable', { cause: err })
  }
  const cipher = createCipheriv('des-ede3', desKey(key), null)
  const data = Buffer.concat([cipher.update(json, 'utf8'), cipher.final()])
  return data.toString('base64').replace(/\+/g, '*').replace(/\//g, ':').replace(/=/g, '_')
}

// Strict canonical base64 in the swapped alphabet: Buffer.from() would quietly skip junk.
const TOKEN_RE = /^(?:[A-Za-z0-9*:]{4})+(?:[A-Za-z0-9*:]{2}__|[A-Za-z0-9*:]{3}_)?$/

function invalid(reason: string, cause?: unknown): MswError {
  return new MswError('MSW_ERR_AUTH_INVALID', reason, cause === undefined ? {} : { cause })
}

/**
 * fatal: bad UTF-8 is a bad token (PHP's json_decode refuses it too), not U+FFFD.
 * ignoreBOM keeps a leading BOM in the text, where it is refused like any byte before the '{'.
 * One for every token: a decode without `stream` starts afresh, and each decoder holds a native converter.
 */
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

export function decodeMswooleToken(token: string, key: string): AuthPayload {
  const k = desKey(key)
  if (typeof token !== 'string' || !TOKEN_RE.test(token)) throw invalid('token is not base64')
  const b64 = token.replace(/\*/g, '+').replace(/:/g, '/').replace(/_/g, '=')
  const data = Buffer.from(b64, 'base64')
  if (data.toString('base64') !== b64) throw invalid('token is not canonical base64')
  if (data.length % 8 !== 0) throw invalid('token length is not a whole number of 3DES blocks')

  let plain: string
  try {
    const decipher = createDecipheriv('des-ede3', k, null)
    const bytes = Buffer.concat([decipher.update(data), decipher.final()])
    plain = STRICT_UTF8.decode(bytes)
  } catch (err) {
    // A wrong key almost always shows up here, as bad padding.
    throw invalid('token does not decrypt (wrong key or corrupted)', err)
  }

  let value: unknown
  try {
    value = JSON.parse(plain)
  } catch (err) {
    throw invalid('token payload is not JSON', err)
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid('token payload is not a JSON object')
  // No MAC: refuse what json_encode never writes, as spliced ECB blocks often do.
  const problem = strictJsonProblem(plain)
  if (problem !== undefined) throw invalid(`token payload is not as json_encode writes it: ${problem}`)
  const parsed = LegacyPayloadSchema.safeParse(value)
  if (!parsed.success) throw invalid(`token payload is invalid: ${describeIssues(parsed.error)}`)
  return heldPayload(parsed.data, true)
}
