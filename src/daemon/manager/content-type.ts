import type { IncomingMessage } from 'node:http'
import { MswError } from '../../errors.js'

const FORM = 'application/x-www-form-urlencoded'

/** The media type of a request, lower-cased and without parameters ("" when absent). */
export function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase()
}

/** application/json, or a JSON type such as application/vnd.api+json (neither can be sent cross-site without a preflight). */
export function isJsonType(type: string): boolean {
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'))
}

/**
 * A state-changing request must say its body is JSON: a page on another site
 * can POST text/plain, a form or a typeless Blob without asking first, JSON it
 * cannot. A form (what PHP backends and `curl -d` send) is taken only when
 * `formAllowed`: on a form route, with the manager key, and without an Origin
 * (so not from a browser page).
 */
export function checkBodyType(req: IncomingMessage, formAllowed: boolean): void {
  const type = mediaType(req)
  if (isJsonType(type) || (type === FORM && formAllowed)) return
  const shown = type === '' ? 'none' : `"${type}"`
  if (type === FORM) {
    throw new MswError(
      'MSW_ERR_UNSUPPORTED_MEDIA_TYPE',
      'unsupported content type "application/x-www-form-urlencoded" here: forms are taken on /api/* only with the manager key and not from browser pages; send application/json',
    )
  }
  throw new MswError(
    'MSW_ERR_UNSUPPORTED_MEDIA_TYPE',
    `unsupported content type ${shown}: send application/json${formAllowed ? ' or application/x-www-form-urlencoded' : ''}`,
  )
}
