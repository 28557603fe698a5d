import { isPhpEmptyJson, phpEscapeJson } from './php-json.js'
import { wireFormat, type WireFormat } from './wire-format.js'

/**
 * The seed's server message, `{"status":…,"event":…,"info":…,"param":…}` in
 * that key order, built once as the string the master writes to every socket
 * as it is. In the "seed" wire format it is PHP's json_encode of it, and
 * `param` is left out whenever PHP's `empty($param)` is true, as App::sendMessage
 * did; in "modern", plain UTF-8 JSON and `param` is left out only when undefined.
 * A param JSON cannot hold (a function, a symbol) is left out like an undefined one.
 */
export function envelope(status: number, event: string, info: string, param?: unknown, format: WireFormat = wireFormat()): string {
  const head = `{"status":${status},"event":${JSON.stringify(event)},"info":${JSON.stringify(info)}`
  const body = param === undefined ? undefined : (JSON.stringify(param) as string | undefined)
  if (format === 'modern') return body === undefined ? `${head}}` : `${head},"param":${body}}`
  return phpEscapeJson(isPhpEmptyJson(body) ? `${head}}` : `${head},"param":${body}}`)
}

/** The statuses the seed answers with, plus those the design adds. */
export const STATUS = {
  ok: 200,
  badRequest: 400,
  forbidden: 403,
  controllerNotFound: 404,
  methodNotFound: 405,
  tooLarge: 413,
  rateLimited: 429,
  controllerError: 500,
  unavailable: 503,
} as const
