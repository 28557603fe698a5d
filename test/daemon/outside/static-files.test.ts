import { execFileSync } from 'node:child_process'
import { cp, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { OUTSIDE_PAGE } from '../../../src/daemon/outside/page.js'
import { MAX_STATIC_FILE_BYTES } from '../../../src/daemon/outside/static-files.js'
import { cleanupProject, startDaemon } from '../../helpers/cli.js'
import { makeProject, SAMPLE_APP, type Project } from '../../helpers/project.js'

const FIXTURE = fileURLToPath(new URL('../../fixtures/static-app', import.meta.url))
/** The client wrapper in the package, which every app's pages may load from /mswoole-client.js. */
const CLIENT_FILE = fileURLToPath(new URL('../../../client/mswoole-client.js', import.meta.url))

interface Reply {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: Buffer
}

/** A request with its path sent exactly as written: fetch would normalise `..` and `%2e` before sending. */
function raw(port: number, rawPath: string, method = 'GET', headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: rawPath, method, headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  })
}

// One daemon over a copy of the fixture app, so tests can add links, pipes and edits beside its files.
let appDir: string
let project: Project
let port: number

beforeAll(async () => {
  appDir = path.join(await mkdtemp(path.join(tmpdir(), 'msw-static-')), 'app')
  await cp(FIXTURE, appDir, { recursive: true })
  project = await makeProject({ app: appDir })
  port = (await startDaemon(project)).outside.port
})

afterAll(async () => {
  if (project) await cleanupProject(project)
  if (appDir) await rm(path.dirname(appDir), { recursive: true, force: true })
})

describe('static files on the outside port', () => {
  it('serves an extensionless path as its .html file, with the page headers', async () => {
    for (const p of ['/page', '/page.html', '/page?auth=abc']) {
      const res = await raw(port, p)
      expect(res.status).toBe(200)
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8')
      expect(res.headers['x-content-type-options']).toBe('nosniff')
      const csp = String(res.headers['content-security-policy'])
      expect(csp).toContain("script-src 'self'")
      expect(csp).toContain("style-src 'self'")
      expect(csp).toContain("connect-src 'self' ws: wss:")
      expect(res.headers['referrer-policy']).toBe('no-referrer')
      expect(res.body.equals(await readFile(path.join(appDir, 'public/page.html')))).toBe(true)
    }
  })

  it.each([
    ['/style.css', 'text/css; charset=utf-8'],
    ['/script.js', 'text/javascript; charset=utf-8'],
    ['/data.json', 'application/json'],
    ['/notes.txt', 'text/plain; charset=utf-8'],
    ['/logo.svg', 'image/svg+xml'],
    ['/icon.png', 'image/png'],
    ['/favicon.ico', 'image/x-icon'],
    ['/blob.bin', 'application/octet-stream'],
  ])('serves %s as %s, byte for byte, with nosniff and no page policy', async (file, type) => {
    const res = await raw(port, file)
    expect(res.status).toBe(200)
    expect(res.headers['content-type']).toBe(type)
    expect(res.headers['x-content-type-options']).toBe('nosniff')
    expect(res.headers['content-security-policy']).toBeUndefined()
    expect(res.body.equals(await readFile(path.join(appDir, 'public', file)))).toBe(true)
    expect(Number(res.headers['content-length'])).toBe(res.body.length)
  })

  it('answers HEAD with the headers and no body', async () => {
    const res = await raw(port, '/style.css', 'HEAD')
    expect(res.status).toBe(200)
    expect(res.headers['content-type']).toBe('text/css; charset=utf-8')
    expect(Number(res.headers['content-length'])).toBe((await readFile(path.join(appDir, 'public/style.css'))).length)
    expect(res.body.length).toBe(0)
  })

  it.each(['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'])('refuses %s with 405', async (method) => {
    const res = await raw(port, '/page', method)
    expect(res.status).toBe(405)
    expect(res.headers.allow).toBe('GET, HEAD')
  })

  it('serves a folder index for a trailing slash, and nothing for the folder itself', async () => {
    const sub = await raw(port, '/sub/')
    expect(sub.status).toBe(200)
    expect(sub.body.toString()).toContain('sub index')
    expect((await raw(port, '/sub')).status).toBe(404)
  })

  it('answers 404 in plain text for a file that is not there', async () => {
    const res = await raw(port, '/nothing-here.js')
    expect(res.status).toBe(404)
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8')
    expect(res.body.toString()).toBe('not found\n')
  })

  it.each([
    '/../secret.txt',
    '/sub/../../secret.txt',
    '/%2e%2e/secret.txt',
    '/%2E%2E%2Fsecret.txt',
    '/sub/..%2f..%2fsecret.txt',
    '/..%5csecret.txt',
    '/sub%5c..%5c..%5csecret.txt',
    '/\\..\\secret.txt',
    '/page%00.html',
    '/page.html%00',
    '/%2e',
    '/./page.html',
    '/%ZZ',
    '/.hidden',
    '/%2ehidden',
    '//etc/passwd',
    '/%2fetc%2fpasswd',
    'http://127.0.0.1/../secret.txt',
  ])('refuses %s with 400 or 404, leaking neither the file nor a path', async (p) => {
    const res = await raw(port, p)
    expect([400, 404]).toContain(res.status)
    const body = res.body.toString()
    expect(body).not.toContain('secret')
    expect(body).not.toContain('hidden')
    expect(body).not.toContain(appDir)
    expect(body).not.toContain('/')
  })

  it('follows a link only while it stays inside public/', async () => {
    await symlink(path.join(appDir, 'secret.txt'), path.join(appDir, 'public/leak.txt'))
    await symlink(path.join(appDir, 'public/style.css'), path.join(appDir, 'public/alias.css'))
    await symlink(appDir, path.join(appDir, 'public/up'))
    expect((await raw(port, '/leak.txt')).status).toBe(404)
    expect((await raw(port, '/up/secret.txt')).status).toBe(404)
    const alias = await raw(port, '/alias.css')
    expect(alias.status).toBe(200)
    expect(alias.body.toString()).toBe('body { color: #123; }\n')
  })

  it('serves only regular files: a named pipe is 404 and does not hang the port', async () => {
    execFileSync('mkfifo', [path.join(appDir, 'public/pipe.txt')])
    expect((await raw(port, '/pipe.txt')).status).toBe(404)
    expect((await raw(port, '/notes.txt')).status).toBe(200)
  })

  it(`refuses a file over ${MAX_STATIC_FILE_BYTES} bytes without saying where it is`, async () => {
    await writeFile(path.join(appDir, 'public/big.txt'), Buffer.alloc(MAX_STATIC_FILE_BYTES + 1, 0x61))
    const res = await raw(port, '/big.txt')
    expect(res.status).toBe(500)
    expect(res.body.toString()).toBe('file too large\n')
    await writeFile(path.join(appDir, 'public/max.txt'), Buffer.alloc(MAX_STATIC_FILE_BYTES, 0x61))
    expect((await raw(port, '/max.txt')).body.length).toBe(MAX_STATIC_FILE_BYTES)
  })

  it('reads from disk on every request, so an edit shows at once; the ETag revalidates', async () => {
    const file = path.join(appDir, 'public/edit.txt')
    await writeFile(file, 'first\n')
    const first = await raw(port, '/edit.txt')
    expect(first.body.toString()).toBe('first\n')
    const etag = String(first.headers.etag)
    expect(first.headers['cache-control']).toBe('no-cache')
    const unchanged = await raw(port, '/edit.txt', 'GET', { 'if-none-match': etag })
    expect(unchanged.status).toBe(304)
    expect(unchanged.body.length).toBe(0)
    await writeFile(file, 'second, longer\n')
    const second = await raw(port, '/edit.txt', 'GET', { 'if-none-match': etag })
    expect(second.status).toBe(200)
    expect(second.body.toString()).toBe('second, longer\n')
  })

  it('serves the client wrapper of the package at /mswoole-client.js to any app, unless public/ has its own', async () => {
    const res = await raw(port, '/mswoole-client.js')
    expect(res.status).toBe(200)
    expect(res.headers['content-type']).toBe('text/javascript; charset=utf-8')
    expect(res.body.equals(await readFile(CLIENT_FILE))).toBe(true)
    // Only at the top: nothing else of the package is reachable that way.
    for (const p of ['/sub/mswoole-client.js', '/mswoole-client.d.ts', '/mswoole-client']) expect((await raw(port, p)).status).toBe(404)
    await writeFile(path.join(appDir, 'public/mswoole-client.js'), 'export const own = 1\n')
    expect((await raw(port, '/mswoole-client.js')).body.toString()).toBe('export const own = 1\n')
  })

  it('keeps the built-in page at / until public/index.html exists', async () => {
    const before = await raw(port, '/')
    expect(before.status).toBe(200)
    expect(before.body.toString()).toBe(OUTSIDE_PAGE)
    await writeFile(path.join(appDir, 'public/index.html'), '<!doctype html><p>own index</p>\n')
    const after = await raw(port, '/?auth=whatever')
    expect(after.body.toString()).toBe('<!doctype html><p>own index</p>\n')
    expect(after.headers['content-security-policy']).toContain("connect-src 'self' ws: wss:")
  })
})

describe('the sample app', () => {
  let sample: Project
  let samplePort: number
  beforeAll(async () => {
    sample = await makeProject({ app: SAMPLE_APP })
    samplePort = (await startDaemon(sample)).outside.port
  })
  afterAll(async () => {
    if (sample) await cleanupProject(sample)
  })

  it('serves the wall page and its assets, and the built-in page at /', async () => {
    const wall = await raw(samplePort, '/wall?auth=token')
    expect(wall.status).toBe(200)
    expect(wall.headers['content-type']).toBe('text/html; charset=utf-8')
    expect(wall.body.toString()).toContain('wall.js')
    expect((await raw(samplePort, '/wall.js')).headers['content-type']).toBe('text/javascript; charset=utf-8')
    expect((await raw(samplePort, '/wall.css')).headers['content-type']).toBe('text/css; charset=utf-8')
    const phone = await raw(samplePort, '/live?auth=token')
    expect(phone.status).toBe(200)
    expect(phone.body.toString()).toContain('live.js')
    for (const asset of ['/live.js', '/live.css', '/mswoole-client.js']) expect((await raw(samplePort, asset)).status).toBe(200)
    expect((await raw(samplePort, '/')).body.toString()).toBe(OUTSIDE_PAGE)
  })
})
