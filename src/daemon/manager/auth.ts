import { createHash, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import { MswError } from '../../errors.js'

/** Whether a request carries the manager key; `fromQuery` also accepts `?key=` (WebSocket upgrades: browsers cannot set headers). */
export type KeyCheck = (req: IncomingMessage, fromQuery: boolean) => boolean

/**
 * The manager key check. Keys are compared as SHA-256 digests with
 * timingSafeEqual, so neither the key's content nor its length shows in the
 * time an answer takes. An empty key lets everything through (config allows
 * that on a loopback host only).
 */
export function createKeyCheck(key: string): KeyCheck {
  if (key === '') return () => true
  const expected = digest(key)
  return (req, fromQuery) => {
    const given = presentedKey(req, fromQuery)
    return given !== undefined && timingSafeEqual(digest(given), expected)
  }
}

export function unauthorized(): MswError {
  return new MswError('MSW_ERR_UNAUTHORIZED', 'missing or wrong manager key: send Authorization: Bearer <key> or X-Api-Key: <key>')
}

function presentedKey(req: IncomingMessage, fromQuery: boolean): string | undefined {
  const bearer = /^Bearer[ \t]+(\S.*)$/i.exec(req.headers.authorization ?? '')
  if (bearer) return bearer[1]!.trim()
  const header = req.headers['x-api-key']
  const apiKey = Array.isArray(header) ? header[0] : header
  if (apiKey !== undefined) return apiKey
  if (!fromQuery) return undefined
  const query = (req.url ?? '').split('?')[1]
  return query === undefined ? undefined : (new URLSearchParams(query).get('key') ?? undefined)
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest()
}
