import { MswError } from '../errors.js'

/**
 * JSON as PHP's `json_encode` without flags writes it, which is what every
 * MSwoole-ws client and backend has been reading: each non-ASCII UTF-16 unit
 * as a lowercase `\uXXXX` (so a character past U+FFFF is a surrogate pair)
 * and `/` as `\/`. Everything else JSON.stringify already writes the same way.
 */

const NEEDS_ESCAPE = /[\u0080-\uffff/]/
const TO_ESCAPE = /[\u0080-\uffff/]/g

function escapeUnit(unit: string): string {
  if (unit === '/') return '\\/'
  // + 0x10000 then drop the leading 1: always four lowercase hex digits.
  return '\\u' + (unit.charCodeAt(0) + 0x10000).toString(16).slice(1)
}

/**
 * Rewrites JSON.stringify's output as PHP would have written it. Only valid on
 * JSON text: `/` and non-ASCII can only occur inside its strings there.
 */
export function phpEscapeJson(json: string): string {
  // Most frames are plain ASCII without a slash: nothing to rewrite.
  if (!NEEDS_ESCAPE.test(json)) return json
  return json.replace(TO_ESCAPE, escapeUnit)
}

/** `json_encode($value)`; throws MSW_ERR_INVALID_ARGUMENT for a value JSON cannot hold (undefined, a function). */
export function phpJsonEncode(value: unknown): string {
  const json = JSON.stringify(value) as string | undefined
  if (typeof json !== 'string') throw new MswError('MSW_ERR_INVALID_ARGUMENT', 'payload is not JSON-encodable')
  return phpEscapeJson(json)
}

/** What JSON.stringify writes for each value PHP's `empty()` is true of (an empty JSON object decodes to an empty PHP array). */
const EMPTY_JSON = new Set(['null', 'false', '0', '""', '"0"', '[]', '{}'])

/**
 * PHP's `empty()` of the value this JSON text encodes: null, false, 0, 0.0,
 * "", "0" and an empty array or object. Judged on the text, so a value is
 * empty exactly when what would have gone on the wire is.
 */
export function isPhpEmptyJson(json: string | undefined): boolean {
  return json === undefined || EMPTY_JSON.has(json)
}
