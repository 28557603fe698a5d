import { createHash, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import { MswError } from '../../errors.js'
import { type Access, type DashboardMode, type DashboardSessions, fromDashboardPage, sessionCookie } from './dashboard.js'
import type { KeyFailures } from './key-failures.js'

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

/** Lets a request with the key through; throws the 401 (or the 429 of an address guessing keys) otherwise. */
export type KeyGate = (req: IncomingMessage, fromQuery: boolean) => void

/**
 * The key check as the manager applies it: an address refused for wrong keys
 * is answered 429 before its key is looked at; a key given and wrong counts
 * against its address (none given at all is a probe, not a guess).
 */
export function createKeyGate(key: string, failures: KeyFailures): KeyGate {
  if (key === '') return () => undefined
  const expected = digest(key)
  return (req, fromQuery) => {
    const address = req.socket.remoteAddress ?? ''
    failures.check(address)
    const given = presentedKey(req, fromQuery)
    if (given !== undefined && timingSafeEqual(digest(given), expected)) return
    if (given !== undefined) failures.fail(address)
    throw unauthorized()
  }
}

/** The key check of HTTP routes: the key, or (with the dashboard on) its session cookie; says which one let the request through. */
export type AccessGate = (req: IncomingMessage) => Access

/**
 * The gate of the HTTP routes: a key given is checked as createKeyGate does
 * (a wrong one counts against its address). Without a key, a valid dashboard
 * session cookie lets the request through as a session. With no key configured
 * everything passes; a call from the dashboard page is still a session then, so
 * a read-only dashboard stays read-only.
 */
export function createAccessGate(key: string, failures: KeyFailures, dashboard: DashboardMode, sessions: DashboardSessions): AccessGate {
  const expected = key === '' ? undefined : digest(key)
  return (req) => {
    const page = dashboard !== 'off'
    if (expected === undefined) return page && (fromDashboardPage(req) || sessionCookie(req) !== undefined) ? 'session' : 'open'
    const address = req.socket.remoteAddress ?? ''
    failures.check(address)
    const given = presentedKey(req, false)
    if (given !== undefined) {
      if (timingSafeEqual(digest(given), expected)) return 'key'
      failures.fail(address)
      throw unauthorized()
    }
    if (page && sessions.valid(sessionCookie(req))) return 'session'
    throw unauthorized()
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
