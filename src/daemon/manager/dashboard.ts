import { createHmac, timingSafeEqual } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import type { IncomingMessage, ServerResponse } from 'node:http'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Logger } from 'pino'
import { MswError } from '../../errors.js'
import type { Handlers } from '../../ipc/dispatch.js'
import type { MethodName } from '../../contracts/control-api.js'
import { readBodyParams } from './body.js'
import { checkBodyType } from './content-type.js'
import { HttpError } from './http-error.js'
import type { KeyFailures } from './key-failures.js'
import { sendJson } from './respond.js'

/** manager.dashboard: no page, a page that only reads, or a page that acts too. */
export type DashboardMode = 'off' | 'readonly' | 'on'

/** How a manager request proved it may call: the key, the dashboard's session, or nothing (no key configured). */
export type Access = 'key' | 'session' | 'open'

export const SESSION_COOKIE = 'mswoole_dashboard'
/** The header the dashboard page sets on every call it makes. */
export const DASHBOARD_HEADER = 'x-mswoole-dashboard'
export const SESSION_MS = 12 * 60 * 60 * 1000
const SIGNING_LABEL = 'mswoole dashboard session v1'

/** The control methods that change something; a read-only dashboard may call none of them. */
const ACTIONS: ReadonlySet<MethodName> = new Set<MethodName>(['reload', 'stop', 'broadcast', 'push', 'connections.kick', 'debug.gc'])

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const PAGE_DIR = path.join(ROOT, 'dashboard')
const VENDOR_DIR = path.join(ROOT, 'dist', 'dashboard-vendor')

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
}

const PAGE_HEADERS = {
  'cache-control': 'no-cache',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
}

/**
 * Signed session values: `<expiry ms>.<HMAC-SHA256 of it>`, under a key derived
 * from the manager key (a fresh random key when the port has none).
 */
export class DashboardSessions {
  readonly #secret: Buffer
  readonly #now: () => number

  constructor(managerKey: string, randomKey: Buffer, now: () => number = Date.now) {
    this.#secret = createHmac('sha256', managerKey === '' ? randomKey : managerKey)
      .update(SIGNING_LABEL)
      .digest()
    this.#now = now
  }

  issue(): { value: string; expires: number } {
    const expires = this.#now() + SESSION_MS
    return { value: `${expires}.${this.#sign(String(expires))}`, expires }
  }

  valid(value: string | undefined): boolean {
    if (value === undefined) return false
    const dot = value.indexOf('.')
    if (dot <= 0) return false
    const payload = value.slice(0, dot)
    if (!/^\d{1,16}$/.test(payload)) return false
    const given = Buffer.from(value.slice(dot + 1), 'base64url')
    const expected = Buffer.from(this.#sign(payload), 'base64url')
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return false
    return Number(payload) > this.#now()
  }

  #sign(payload: string): string {
    return createHmac('sha256', this.#secret).update(payload).digest('base64url')
  }
}

/** The session cookie a request carries, if any. */
export function sessionCookie(req: IncomingMessage): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=')
    if (eq !== -1 && part.slice(0, eq).trim() === SESSION_COOKIE) return part.slice(eq + 1).trim()
  }
  return undefined
}

/** Whether the request's Origin is the manager's own (the Host it was sent to). */
export function fromOwnOrigin(req: IncomingMessage): boolean {
  const origin = req.headers.origin
  const host = req.headers.host
  if (origin === undefined || host === undefined) return false
  try {
    const url = new URL(origin)
    return url.protocol === 'http:' && url.host === new URL(`http://${host}`).host
  } catch {
    return false
  }
}

/** A request the dashboard page sent: its header, or the manager's own origin. */
export function fromDashboardPage(req: IncomingMessage): boolean {
  return req.headers[DASHBOARD_HEADER] !== undefined || fromOwnOrigin(req)
}

/**
 * The control API as a dashboard session may call it: in "readonly" every action
 * is refused; otherwise every action is logged with the operator's address.
 */
export function sessionHandlers(handlers: Handlers, mode: DashboardMode, address: string, logger: Logger): Handlers {
  const wrapped = { ...handlers } as Record<MethodName, (params: never, ctx: never) => Promise<unknown>>
  for (const method of ACTIONS) {
    const inner = handlers[method] as (params: unknown, ctx: unknown) => Promise<unknown>
    wrapped[method] = async (params: unknown, ctx: unknown) => {
      if (mode !== 'on') {
        logger.warn({ address, method }, 'dashboard action refused: the dashboard is read-only')
        throw new MswError('MSW_ERR_DASHBOARD_READONLY', `${method}: the dashboard is read-only (manager.dashboard is "readonly")`)
      }
      logger.info({ address, method, params }, `dashboard ${method} from ${address}`)
      return inner(params, ctx)
    }
  }
  return wrapped as unknown as Handlers
}

export interface DashboardOptions {
  mode: DashboardMode
  key: string
  sessions: DashboardSessions
  failures: KeyFailures
  logger: Logger
}

/** Serves /dashboard and everything under it; answers false for another path. */
export type DashboardRoute = (req: IncomingMessage, res: ServerResponse, path: string) => Promise<boolean>

export function createDashboardRoute(options: DashboardOptions): DashboardRoute {
  const { mode, key, sessions, failures, logger } = options
  const expected = key === '' ? undefined : createHmac('sha256', SIGNING_LABEL).update(key).digest()
  return async (req, res, urlPath) => {
    if (mode === 'off' || (urlPath !== '/dashboard' && !urlPath.startsWith('/dashboard/'))) return false
    const address = req.socket.remoteAddress ?? ''
    const sub = urlPath.slice('/dashboard'.length)
    if (sub === '/login') {
      if (req.method !== 'POST') throw new HttpError(405, 'MSW_ERR_METHOD_NOT_ALLOWED', 'use POST on /dashboard/login', { allow: 'POST' })
      if (!fromDashboardPage(req)) throw new MswError('MSW_ERR_DASHBOARD_ORIGIN', 'log in from the dashboard page')
      checkBodyType(req, false)
      failures.check(address)
      const body = await readBodyParams(req)
      const given = typeof body.key === 'string' ? body.key : ''
      const right = expected === undefined || timingSafeEqual(createHmac('sha256', SIGNING_LABEL).update(given).digest(), expected)
      if (!right) {
        failures.fail(address)
        logger.warn({ address }, `dashboard login refused from ${address}`)
        throw new MswError('MSW_ERR_UNAUTHORIZED', 'wrong manager key')
      }
      const session = sessions.issue()
      logger.info({ address }, `dashboard login from ${address}`)
      sendJson(
        res,
        200,
        { mode, expires: new Date(session.expires).toISOString() },
        { 'set-cookie': cookie(session.value, SESSION_MS / 1000) },
      )
      return true
    }
    if (sub === '/logout') {
      if (req.method !== 'POST') throw new HttpError(405, 'MSW_ERR_METHOD_NOT_ALLOWED', 'use POST on /dashboard/logout', { allow: 'POST' })
      if (!fromDashboardPage(req)) throw new MswError('MSW_ERR_DASHBOARD_ORIGIN', 'log out from the dashboard page')
      sendJson(res, 200, { loggedOut: true }, { 'set-cookie': cookie('', 0) })
      return true
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      throw new HttpError(405, 'MSW_ERR_METHOD_NOT_ALLOWED', `${req.method ?? ''} is not allowed on ${urlPath}; use GET, HEAD`, {
        allow: 'GET, HEAD',
      })
    }
    if (sub === '/session') {
      sendJson(
        res,
        200,
        { mode, keyed: key !== '', authenticated: key === '' || sessions.valid(sessionCookie(req)) },
        { 'cache-control': 'no-store' },
      )
      return true
    }
    if (sub === '') {
      res.writeHead(308, { location: '/dashboard/' }).end()
      return true
    }
    const file = staticFile(sub === '/' ? '/index.html' : sub)
    if (file === undefined) throw new MswError('MSW_ERR_NOT_FOUND', `no file ${urlPath}`)
    let content: Buffer
    try {
      content = await readFile(file)
    } catch {
      throw new MswError('MSW_ERR_NOT_FOUND', `no file ${urlPath}`)
    }
    res.writeHead(200, {
      ...PAGE_HEADERS,
      'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
      'content-length': content.length,
    })
    res.end(req.method === 'HEAD' ? undefined : content)
    return true
  }
}

/** The file of a path under /dashboard, if it names one the page may have: plain names only, no folders but vendor/. */
function staticFile(sub: string): string | undefined {
  const match = /^\/(vendor\/)?([a-z0-9][a-z0-9.-]*\.(?:html|m?js|css|svg))$/i.exec(sub)
  if (!match || match[2]!.includes('..')) return undefined
  return path.join(match[1] ? VENDOR_DIR : PAGE_DIR, match[2]!)
}

function cookie(value: string, maxAgeSeconds: number): string {
  return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}`
}
