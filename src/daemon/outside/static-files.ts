import { constants } from 'node:fs'
import { open, realpath, type FileHandle } from 'node:fs/promises'
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Logger } from 'pino'

/** Larger files are refused: the port serves a page and its few assets, not downloads. */
export const MAX_STATIC_FILE_BYTES = 1024 * 1024

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
}

/**
 * The page's own scripts and styles only, and WebSockets back to this port.
 * Inline script stays blocked, so text that slips into the page as markup
 * still cannot run.
 */
export const HTML_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self' ws: wss:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

/**
 * Files of the package that every app's pages may load as if they were in its
 * public folder (which may hold its own copy instead): the client wrapper.
 */
const BUILT_IN_FILES: ReadonlyMap<string, string> = new Map([
  ['mswoole-client.js', fileURLToPath(new URL('../../../client/mswoole-client.js', import.meta.url))],
])

export interface StaticFilesOptions {
  /** `<appDir>/public`; it may not exist, or appear later. */
  root: string
  /** Served for `/` when the folder holds no index.html. */
  fallbackPage: string
  logger: Logger
}

type Resolved = { ok: true; segments: string[] } | { ok: false; status: 400 | 404 }

/**
 * Maps a request path to path segments under the public folder, or refuses it.
 * Anything that could climb out (`..`, `.`, backslashes, NUL, encoded or not)
 * is 400; hidden files and empty segments are 404. `/` and a trailing `/` mean
 * index.html, and a last segment without an extension gets `.html`, so `/wall`
 * serves wall.html.
 */
export function resolveRequestPath(url: string): Resolved {
  const raw = url.split(/[?#]/, 1)[0] ?? ''
  if (!raw.startsWith('/')) return { ok: false, status: 400 }
  let decoded: string
  try {
    decoded = decodeURIComponent(raw)
  } catch {
    return { ok: false, status: 400 }
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return { ok: false, status: 400 }
  const segments = decoded.slice(1).split('/')
  if (segments.some((s) => s === '.' || s === '..')) return { ok: false, status: 400 }
  if (segments.at(-1) === '') segments[segments.length - 1] = 'index.html'
  if (segments.some((s) => s === '' || s.startsWith('.'))) return { ok: false, status: 404 }
  const last = segments.length - 1
  if (path.extname(segments[last] ?? '') === '') segments[last] += '.html'
  return { ok: true, segments }
}

/** Answers a GET or HEAD from the public folder; the caller has already refused other methods. */
export async function serveStatic(req: IncomingMessage, res: ServerResponse, options: StaticFilesOptions): Promise<void> {
  const resolved = resolveRequestPath(req.url ?? '/')
  if (!resolved.ok) return sendText(req, res, resolved.status, resolved.status === 400 ? 'bad request\n' : 'not found\n')
  const isRootPage = (req.url ?? '/').split(/[?#]/, 1)[0] === '/'
  let file: Awaited<ReturnType<typeof readPublicFile>>
  try {
    file = await readPublicFile(options.root, resolved.segments)
    const builtIn = file === 'missing' && resolved.segments.length === 1 ? BUILT_IN_FILES.get(resolved.segments[0] ?? '') : undefined
    if (builtIn !== undefined) file = await readPublicFile(path.dirname(builtIn), [path.basename(builtIn)])
  } catch (err) {
    // The folder's path stays in the log; the client only learns it failed.
    options.logger.warn({ err, file: resolved.segments.join('/') }, 'static file could not be read')
    return sendText(req, res, 500, 'internal error\n')
  }
  if (file === 'missing') {
    if (isRootPage) return send(req, res, 200, { 'content-type': 'text/html; charset=utf-8' }, Buffer.from(options.fallbackPage))
    return sendText(req, res, 404, 'not found\n')
  }
  if (file === 'too-large') {
    options.logger.warn({ file: resolved.segments.join('/'), limit: MAX_STATIC_FILE_BYTES }, 'static file over the size limit')
    return sendText(req, res, 500, 'file too large\n')
  }
  const type = CONTENT_TYPES[path.extname(file.name).toLowerCase()] ?? 'application/octet-stream'
  // Size and modification time: enough to revalidate, and no-cache makes the browser ask each time, so an edit shows on reload.
  const etag = `W/"${file.body.length.toString(16)}-${Math.floor(file.mtimeMs).toString(16)}"`
  const headers: OutgoingHttpHeaders = { 'content-type': type, etag, 'cache-control': 'no-cache' }
  if (type.startsWith('text/html')) {
    headers['content-security-policy'] = HTML_CSP
    // Pages carry tokens in their address; no other site should see it.
    headers['referrer-policy'] = 'no-referrer'
  }
  if (req.headers['if-none-match'] === etag) return send(req, res, 304, headers, undefined)
  send(req, res, 200, headers, file.body)
}

type PublicFile = { name: string; body: Buffer; mtimeMs: number } | 'missing' | 'too-large'

/**
 * Reads a regular file inside `root`. Links are followed only while the real
 * path stays inside the real root, so a link cannot publish the rest of the disk.
 */
async function readPublicFile(root: string, segments: string[]): Promise<PublicFile> {
  let realRoot: string
  let real: string
  try {
    realRoot = await realpath(root)
    real = await realpath(path.join(realRoot, ...segments))
  } catch (err) {
    if (isMissing(err)) return 'missing'
    throw err
  }
  const relative = path.relative(realRoot, real)
  if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative)) return 'missing'
  let handle: FileHandle
  try {
    handle = await open(real, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK)
  } catch (err) {
    if (isMissing(err)) return 'missing'
    throw err
  }
  try {
    const stats = await handle.stat()
    if (!stats.isFile()) return 'missing'
    if (stats.size > MAX_STATIC_FILE_BYTES) return 'too-large'
    const body = await handle.readFile()
    if (body.length > MAX_STATIC_FILE_BYTES) return 'too-large'
    return { name: real, body, mtimeMs: stats.mtimeMs }
  } finally {
    await handle.close()
  }
}

/** Errors that mean "nothing servable there", which the client sees as 404. */
function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP' || code === 'EACCES' || code === 'EISDIR' || code === 'ENAMETOOLONG'
}

function sendText(req: IncomingMessage, res: ServerResponse, status: number, text: string): void {
  send(req, res, status, { 'content-type': 'text/plain; charset=utf-8' }, Buffer.from(text))
}

function send(req: IncomingMessage, res: ServerResponse, status: number, headers: OutgoingHttpHeaders, body: Buffer | undefined): void {
  if (res.headersSent || res.destroyed) return
  const all: OutgoingHttpHeaders = { ...headers, 'x-content-type-options': 'nosniff' }
  if (body !== undefined) all['content-length'] = body.length
  res.writeHead(status, all)
  res.end(req.method === 'HEAD' || status === 304 ? undefined : body)
}
