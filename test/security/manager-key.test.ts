import type { IncomingHttpHeaders, IncomingMessage } from 'node:http'
import { describe, expect, it } from 'vitest'
import { createKeyCheck } from '../../src/daemon/manager/auth.js'
import { VERSION } from '../../src/version.js'
import { cli, startDaemon, useProjects } from '../helpers/cli.js'
import { TestClient } from '../helpers/client.js'
import { internalsIn } from '../helpers/leaks.js'
import { rawRequest, rawUpgrade } from './manager-http-raw.js'

/**
 * The manager port's key: the check itself (digests compared in constant time,
 * so no input can make it throw or short-circuit on length), and what a live
 * port tells a caller without the key, or with it when a request goes wrong.
 *
 * test/daemon/manager/auth.test.ts already covers: every documented route served
 * with Bearer and X-Api-Key, 401 + WWW-Authenticate for no key / a wrong one /
 * the key plus a suffix, an unknown path answering 401 without the key, /healthz
 * open, and a live WebSocket upgrade refused without the key and taken with
 * Bearer, X-Api-Key or ?key=.
 */

const KEY = 'mgr-7f3a9c1e5b2d4f60-key'

/** The parts of a request the key check reads. */
function request(headers: IncomingHttpHeaders = {}, url = '/api/status'): IncomingMessage {
  return { headers, url } as unknown as IncomingMessage
}

describe('createKeyCheck', () => {
  const check = createKeyCheck(KEY)

  /** The check's answer, failing the test if it throws. */
  function allowed(req: IncomingMessage, fromQuery = false): boolean {
    let result: boolean | undefined
    expect(() => {
      result = check(req, fromQuery)
    }).not.toThrow()
    return result as boolean
  }

  it('takes the key as Bearer (any case of the scheme), as X-Api-Key, and as ?key= only where the query counts', () => {
    expect(allowed(request({ authorization: `Bearer ${KEY}` }))).toBe(true)
    expect(allowed(request({ authorization: `bearer ${KEY}` }))).toBe(true)
    expect(allowed(request({ authorization: `BEARER \t${KEY}` }))).toBe(true)
    expect(allowed(request({ 'x-api-key': KEY }))).toBe(true)
    // On a WebSocket upgrade (fromQuery) the query may carry it; on plain HTTP it may not.
    expect(allowed(request({}, `/rpc?key=${KEY}`), true)).toBe(true)
    expect(allowed(request({}, `/?a=1&key=${encodeURIComponent(KEY)}&b=2`), true)).toBe(true)
    expect(allowed(request({}, `/api/status?key=${KEY}`), false)).toBe(false)
  })

  it('refuses keys of other lengths, prefixes, suffixes and near misses without throwing', () => {
    const attempts = [
      '',
      ' ',
      'k',
      KEY.slice(0, 1),
      KEY.slice(0, -1),
      KEY.slice(1),
      `${KEY}x`,
      `${KEY}${KEY}`,
      KEY.toUpperCase(),
      `${KEY.slice(0, -1)}${KEY.endsWith('y') ? 'z' : 'y'}`,
      'x'.repeat(KEY.length),
      'x'.repeat(10_000),
      '\u0000'.repeat(KEY.length),
      `${KEY}\u0000`,
      'ключ-鍵-🔑',
    ]
    for (const attempt of attempts) {
      for (const req of [
        request({ authorization: `Bearer ${attempt}` }),
        request({ 'x-api-key': attempt }),
        request({}, `/?key=${encodeURIComponent(attempt)}`),
      ]) {
        expect(
          allowed(req, true),
          JSON.stringify({ attempt: attempt.slice(0, 40), headers: req.headers, url: req.url?.slice(0, 60) }),
        ).toBe(false)
      }
    }
  })

  it('refuses the key in any other place, an empty or schemeless header, and a second key after a wrong first one', () => {
    const basic = Buffer.from(`user:${KEY}`).toString('base64')
    const misplaced: IncomingMessage[] = [
      request(),
      request({ authorization: '' }),
      request({ authorization: 'Bearer' }),
      request({ authorization: 'Bearer ' }),
      request({ authorization: KEY }),
      request({ authorization: `Basic ${basic}` }),
      request({ authorization: `Token ${KEY}` }),
      request({ authorization: `Bearer${KEY}` }),
      request({ 'x-api-key': '' }),
      request({ 'x-apikey': KEY }),
      request({ 'api-key': KEY }),
      request({ 'x-manager-key': KEY }),
      request({ key: KEY }),
      request({ cookie: `key=${KEY}` }),
      request({}, `/api/status?key=${KEY}`),
      request({}, `/api/status?KEY=${KEY}`),
      request({}, `/${KEY}`),
      request({}, `/api/status#key=${KEY}`),
      // One wrong key is enough to be refused: a second one does not get a try.
      request({ 'x-api-key': ['wrong', KEY] }),
      request({ authorization: 'Bearer wrong', 'x-api-key': KEY }),
      request({ authorization: 'Bearer wrong' }, `/?key=${KEY}`),
      request({ 'x-api-key': 'wrong' }, `/?key=${KEY}`),
      request({ 'x-api-key': '' }, `/?key=${KEY}`),
    ]
    for (const req of misplaced) {
      expect(allowed(req, req.url?.startsWith('/?') ?? false), JSON.stringify({ headers: req.headers, url: req.url })).toBe(false)
    }
  })

  it('compares a multi-byte UTF-8 key by its bytes', () => {
    const key = 'clé-ключ-鍵-🔑'
    const utf8 = createKeyCheck(key)
    expect(utf8(request({ 'x-api-key': key }), false)).toBe(true)
    expect(utf8(request({}, `/?key=${encodeURIComponent(key)}`), true)).toBe(true)
    // Same number of UTF-16 units, other bytes; and the key's own bytes read as Latin-1.
    for (const near of [
      'cle-ключ-鍵-🔑',
      'clé-ключ-鍵-🔐',
      'clé-ключ-鍵-',
      Buffer.from(key, 'utf8').toString('latin1'),
      key.normalize('NFD'),
    ]) {
      let result: boolean | undefined
      expect(() => {
        result = utf8(request({ 'x-api-key': near }), false)
      }).not.toThrow()
      expect(result, near).toBe(false)
    }
  })

  it('lets everything through when the key is empty (allowed on loopback hosts only)', () => {
    expect(createKeyCheck('')(request(), false)).toBe(true)
  })
})

function expectClean(text: string, root: string, what: string): void {
  expect(internalsIn(text, [root]), `${what}: ${text.slice(0, 300)}`).toEqual([])
  expect(text, what).not.toMatch(/"stack"/)
}

const project = useProjects()

const ROUTES: Array<[string, string]> = [
  ['POST', '/rpc'],
  ['POST', '/api/push'],
  ['POST', '/api/broadcast'],
  ['POST', '/api/kick'],
  ['GET', '/api/connections'],
  ['GET', '/api/rooms'],
  ['GET', '/api/status'],
  ['GET', '/metrics'],
]
const MISSING = ['/', '/nope', '/api', '/api/nope', '/rpc/extra', '/.env', '/admin', '/healthz/more', '/API/STATUS', '/%2e%2e/etc/passwd']

describe('a live manager port', () => {
  it('answers every route but /healthz with the same 401, whatever the path or method, and tells nothing more', async () => {
    const p = await project({ manager: { key: KEY } })
    const { manager } = await startDaemon(p)
    const port = manager.port

    const reference = await rawRequest(port, 'GET', '/api/status')
    expect(reference.status).toBe(401)
    expect(JSON.parse(reference.body)).toEqual({ error: { code: 'MSW_ERR_UNAUTHORIZED', message: expect.any(String) } })

    const attempts: Array<[string, string, Record<string, string>]> = []
    for (const [method, path] of ROUTES) attempts.push([method, path, {}])
    for (const path of [...ROUTES.map(([, route]) => route), ...MISSING]) {
      for (const method of ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) attempts.push([method, path, {}])
    }
    // The key anywhere but Bearer / X-Api-Key, on plain HTTP.
    const basic = Buffer.from(`admin:${KEY}`).toString('base64')
    const misplaced: Array<Record<string, string>> = [
      { authorization: KEY },
      { authorization: `Basic ${basic}` },
      { cookie: `key=${KEY}` },
      { 'x-manager-key': KEY },
    ]
    for (const headers of misplaced) {
      attempts.push(['GET', '/api/status', headers])
    }
    attempts.push(['GET', `/api/status?key=${KEY}`, {}], ['POST', `/rpc?key=${KEY}`, {}])

    for (const [method, path, headers] of attempts) {
      const what = `${method} ${path} ${JSON.stringify(headers)}`
      const answer = await rawRequest(
        port,
        method,
        path,
        headers,
        method === 'POST' ? '{"jsonrpc":"2.0","id":1,"method":"status"}' : undefined,
      )
      expect(answer.status, what).toBe(401)
      expect(answer.body, what).toBe(reference.body)
      expect(answer.headers['www-authenticate'], what).toBe('Bearer')
      expect(answer.headers['content-type'], what).toBe(reference.headers['content-type'])
      expect(answer.headers.allow, what).toBeUndefined()
      expect(answer.headers['x-powered-by'], what).toBeUndefined()
      expect(answer.headers.server, what).toBeUndefined()
      expect(answer.body, what).not.toContain(VERSION)
    }
    // HEAD: the same status and headers, no body.
    const head = await rawRequest(port, 'HEAD', '/api/status')
    expect(head.status).toBe(401)
    expect(head.headers.allow).toBeUndefined()

    // A WebSocket upgrade without the key: the same 401 body on any path.
    for (const path of ['/', '/rpc', '/nope', `/?key=${KEY.slice(0, -1)}`]) {
      const refused = await rawUpgrade(port, path)
      expect(refused.status, path).toBe(401)
      expect(refused.body, path).toBe(reference.body)
    }

    // /healthz is open and says only how the node is, not what it is.
    const health = await rawRequest(port, 'GET', '/healthz')
    expect(health.status).toBe(200)
    expect(Object.keys(JSON.parse(health.body) as object).sort()).toEqual(['connections', 'status', 'store', 'storeKind'])
    expect(health.body).not.toContain(VERSION)
    expectClean(health.body, p.root, '/healthz')
  })

  it('answers failed requests with {"error":{code,message}} and no stack, path or source location', async () => {
    const p = await project({ manager: { key: KEY }, log: { level: 'trace' } })
    const { manager } = await startDaemon(p)
    const port = manager.port
    const keyed = { 'x-api-key': KEY }
    const json = { ...keyed, 'content-type': 'application/json' }
    const deep = (levels: number): string => '['.repeat(levels) + ']'.repeat(levels)

    const cases: Array<[string, string, Record<string, string>, string | undefined, number | undefined]> = [
      ['POST', '/api/push', json, '{bad', 400],
      ['POST', '/api/push', json, '[1]', 400],
      ['POST', '/api/push', json, '{"fd":"not-a-number"}', 400],
      ['POST', '/api/push', { ...keyed, 'content-type': 'application/x-www-form-urlencoded' }, 'fd=1&uid=2', 400],
      ['POST', '/api/push', json, '{"fd":999999}', 404],
      ['GET', '/nope', keyed, undefined, 404],
      ['GET', '/api/nope/../../etc/passwd', keyed, undefined, 404],
      ['DELETE', '/api/status', keyed, undefined, 405],
      ['GET', '/rpc', keyed, undefined, 405],
      ['POST', '/api/push', { ...keyed, 'content-type': 'text/xml' }, '<fd>1</fd>', 415],
      ['POST', '/api/broadcast', json, `{"all":true,"param":${'"x"'.padEnd(1024 * 1024 + 16, ' ')}}`, 413],
      // A param too deep to serialise is refused before anything is built from it.
      ['POST', '/api/broadcast', json, `{"all":true,"param":${deep(200_000)}}`, 400],
      // JSON-RPC answers its errors inside a 200.
      ['POST', '/rpc', json, '{bad', 200],
      ['POST', '/rpc', json, '[]', 200],
      ['POST', '/rpc', json, '{"jsonrpc":"2.0","id":1,"method":"nope"}', 200],
      ['POST', '/rpc', json, '{"jsonrpc":"2.0","id":1,"method":"push","params":{"fd":{"__proto__":1}}}', 200],
      ['POST', '/rpc', json, `{"jsonrpc":"2.0","id":1,"method":"broadcast","params":{"all":true,"param":${deep(200_000)}}}`, 200],
    ]
    for (const [method, path, headers, body, status] of cases) {
      const what = `${method} ${path} ${(body ?? '').slice(0, 40)}`
      const answer = await rawRequest(port, method, path, headers, body)
      if (status !== undefined) expect(answer.status, what).toBe(status)
      expect(answer.status, what).not.toBe(401)
      const parsed = JSON.parse(answer.body) as { error?: { code?: unknown; message?: unknown } }
      expect(parsed.error, what).toBeDefined()
      if (path !== '/rpc') expect(Object.keys(parsed.error as object).sort(), what).toEqual(['code', 'message'])
      expectClean(answer.body, p.root, what)
    }

    // The manager WebSocket: JSON-RPC errors and the seed console's refusal say no more.
    const ws = await TestClient.connect(`ws://127.0.0.1:${port}/`, { headers: keyed })
    for (const message of [
      '{"jsonrpc":"2.0","id":1,"method":"nope"}',
      `{"jsonrpc":"2.0","id":2,"method":"broadcast","params":{"all":true,"param":${deep(200_000)}}}`,
    ]) {
      ws.send(message)
      expectClean(await ws.nextFrame(), p.root, message.slice(0, 60))
    }
    // A console command is answered once, then the socket is closed (an empty close frame: 1005).
    ws.send('not json at all')
    expectClean(await ws.nextFrame(), p.root, 'not json')
    expect((await ws.closed()).code).toBe(1005)

    // The operator's log, at trace, never has the key.
    expect((await cli(p, ['stop'])).exitCode).toBe(0)
    const logged = await cli(p, ['logs', '--json', '-n', '500'])
    expect(logged.stdout).toMatch(/"msg":"stopped"/)
    expect(logged.stdout).not.toContain(KEY)
  })
})
