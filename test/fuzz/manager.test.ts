import { fc, it } from '@fast-check/vitest'
import { describe, expect } from 'vitest'
import { hugeString, oddKey, oddScalar, oddString, oddValue, type Members } from './arbitraries.js'
import { startDaemon, useProjects } from '../helpers/cli.js'
import { TestClient } from '../helpers/client.js'
import { within } from '../helpers/poll.js'
import { RawControl } from '../helpers/raw-control.js'
import { afterFuzz, checkpoint, controlCall, frameMatching, HANG_MS, useFuzzDaemon, type FuzzDaemon } from './harness.js'
import { rawHttp, type RawRequest, type RawResponse } from './http-raw.js'
import { leakedInternals, levels } from './outside-model.js'

/**
 * The manager port (backend services' HTTP API) under odd requests: bodies of
 * every shape to every route, with every method and content type. Whatever is
 * sent, the answer is a documented status with a plain JSON error, never a 500.
 */

const KEY = 'fuzz-manager-key'
const PROPERTY_TIMEOUT = 120_000

/** Statuses docs/manager.md documents for the manager, minus 401 (the key is always sent) and 409/503 (no reload, no Redis here). */
const DOCUMENTED = [200, 204, 400, 404, 405, 413, 415]
const ERROR_CODE = /^MSW_ERR_[A-Z_]+$/
const MAX_HEADER_BYTES = 16 * 1024
const MAX_BODY_BYTES = 1024 * 1024

/** `depth` arrays, one inside the other. */
const nestedParam = (depth: number): string => `${'['.repeat(depth)}${']'.repeat(depth)}`

const REST_POST = ['/api/push', '/api/broadcast', '/api/kick'] as const
const REST_GET = ['/api/status', '/api/connections', '/api/rooms', '/healthz'] as const
const ROUTES: readonly string[] = [...REST_POST, ...REST_GET, '/rpc']

/**
 * An fd that can never be one of the well-behaved connections (a fuzzed kick
 * must not cut them): not a small positive integer, as a number or as the text
 * a form turns into one.
 */
const safeFd: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer({ min: 1_000_000, max: 2 ** 31 }),
  fc.integer({ min: -1000, max: 0 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }).filter((n) => !Number.isInteger(n)),
  fc.constantFrom(null, true, false, [], {}, '', ' ', 'x', '1.5', '-1', '0', 'node:9999999', 'a:b', ':1', '9999999:', `${2 ** 60}`, '1e3'),
  fc.tuple(fc.stringMatching(/^[A-Za-z0-9._-]{1,12}$/), fc.integer({ min: 1_000_000, max: 2 ** 31 })).map(([node, fd]) => `${node}:${fd}`),
  oddString(10).filter((s) => !/^\s*-?\d+(\.\d+)?\s*$/.test(s) && !/:\s*\d{1,6}\s*$/.test(s)),
)

const text = fc.oneof(
  oddString(40),
  fc.constantFrom('', 'room1', 'serverBroadcast', '<script>alert(1)</script>', '\u0000', 'a'.repeat(257)),
  hugeString.map((s) => s.slice(0, 2000)),
)
const status = fc.oneof(fc.integer({ min: 100, max: 599 }), fc.constantFrom(0, 99, 600, 200.5, -200, 1e9), oddScalar)
const param = fc.oneof(fc.jsonValue({ maxDepth: 4 }), oddValue)
const except = fc.oneof(fc.array(fc.oneof(fc.integer(), oddString(8), safeFd), { maxLength: 6 }), oddScalar)
const limit = fc.oneof(fc.integer({ min: -5, max: 1005 }), oddScalar)

/** Each route's fields, each either plausible or odd, any of them missing. */
const fieldsFor: Record<string, fc.Arbitrary<Record<string, unknown>>> = {
  '/api/broadcast': fc.record(
    { room: fc.oneof(text, oddScalar), all: fc.oneof(fc.constant(true), oddScalar), event: text, info: text, status, param, except },
    { requiredKeys: [] },
  ),
  '/api/push': fc.record(
    { fd: safeFd, uid: fc.oneof(text, fc.integer(), oddScalar), event: text, info: text, status, param },
    { requiredKeys: [] },
  ),
  '/api/kick': fc.record(
    { fd: safeFd, code: fc.oneof(fc.constantFrom(1000, 3000, 4000, 4999, 999, 1006, 5000), oddScalar), reason: fc.oneof(text, oddScalar) },
    { requiredKeys: [] },
  ),
  '/api/connections': fc.record(
    { room: text, type: text, uid: fc.oneof(text, fc.integer()), ip: text, node: text, offset: limit, limit },
    { requiredKeys: [] },
  ),
  '/api/rooms': fc.record({ prefix: text, offset: limit, limit }, { requiredKeys: [] }),
  '/api/status': fc.record({ x: oddScalar }, { requiredKeys: [] }),
  '/healthz': fc.record({ x: oddScalar }, { requiredKeys: [] }),
}

/** Extra members of any name except the ones a route reads (an fd added here could name a real connection). */
const extras = fc.uniqueArray(
  fc.tuple(
    oddKey.filter((k) => k !== 'fd'),
    oddValue,
  ),
  { maxLength: 2, selector: ([k]) => k },
)

function membersOf(fields: Record<string, unknown>, extra: Members): Members {
  return [...Object.entries(fields), ...extra.filter(([k]) => !Object.hasOwn(fields, k))]
}

function jsonText(members: Members): string {
  return `{${members.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`
}

/** As PHP's http_build_query writes it: nested values as name[key]=…, lists as name[]=…; `param` sometimes as JSON. */
function formText(members: Members, paramAsJson: boolean): string {
  const pairs: Array<[string, string]> = []
  const add = (name: string, value: unknown, depth: number): void => {
    if (value === null || value === undefined) pairs.push([name, ''])
    else if (Array.isArray(value) && depth < 6)
      for (const [i, item] of value.entries())
        add(typeof item === 'object' && item !== null ? `${name}[${i}]` : `${name}[]`, item, depth + 1)
    else if (typeof value === 'object' && depth < 6) for (const [k, v] of Object.entries(value)) add(`${name}[${k}]`, v, depth + 1)
    else pairs.push([name, typeof value === 'string' ? value : JSON.stringify(value)])
  }
  for (const [key, value] of members) {
    if (key === 'param' && paramAsJson) pairs.push([key, JSON.stringify(value) ?? ''])
    else add(key, value, 0)
  }
  return new URLSearchParams(pairs).toString()
}

const JSON_TYPES = ['application/json', 'application/json; charset=utf-8', 'APPLICATION/JSON', 'application/vnd.api+json'] as const
const OTHER_TYPES = [
  'text/plain',
  'multipart/form-data; boundary=x',
  'application/xml',
  'application/octet-stream',
  'json',
  'application/jsonx',
] as const
const FORM = 'application/x-www-form-urlencoded'

type BodyKind = 'json' | 'form' | 'odd-json' | 'bytes' | 'empty' | 'oversize'

interface Input {
  request: RawRequest
  /** The content type's family, when the route reads the body as JSON or a form. */
  typeFamily: 'json' | 'form' | 'other' | 'none'
  kind: BodyKind
  route: string | undefined
}

const bodyKind = fc.oneof(
  { arbitrary: fc.constantFrom<BodyKind>('json', 'json', 'form', 'odd-json', 'bytes', 'empty'), weight: 20 },
  // Just over the 1 MiB cap: rare, since each is a megabyte on the wire.
  { arbitrary: fc.constant<BodyKind>('oversize'), weight: 1 },
)

const contentType = fc.oneof(
  { arbitrary: fc.constantFrom<string | undefined>(...JSON_TYPES, undefined), weight: 3 },
  { arbitrary: fc.constant<string | undefined>(FORM), weight: 2 },
  { arbitrary: fc.constantFrom<string | undefined>(...OTHER_TYPES), weight: 1 },
)

function familyOf(type: string | undefined): Input['typeFamily'] {
  if (type === undefined) return 'none'
  const media = type.split(';')[0]!.trim().toLowerCase()
  if (media === FORM) return 'form'
  if (media === 'application/json' || (media.startsWith('application/') && media.endsWith('+json'))) return 'json'
  return 'other'
}

/** A request to one of the documented routes, or to a path near them. */
const restInput: fc.Arbitrary<Input> = fc
  .record({
    route: fc.constantFrom(...ROUTES),
    method: fc.oneof(
      { arbitrary: fc.constantFrom('GET', 'POST'), weight: 4 },
      { arbitrary: fc.constantFrom('PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'), weight: 1 },
    ),
    kind: bodyKind,
    type: contentType,
    paramAsJson: fc.boolean(),
    oddJson: fc.jsonValue({ maxDepth: 3 }),
    bytes: fc.uint8Array({ maxLength: 200 }),
    extra: extras,
    seedFields: fc.constantFrom(...Object.keys(fieldsFor)),
  })
  .chain((r) => (fieldsFor[r.route] ?? fieldsFor[r.seedFields]!).map((fields) => ({ ...r, fields })))
  .map(({ route, method, kind, type, paramAsJson, oddJson, bytes, extra, fields }) => {
    const members = membersOf(fields, extra)
    const isGet = method === 'GET' || method === 'HEAD'
    let path = route
    let body: Uint8Array | undefined
    if (isGet) {
      // GET routes read their params from the query string.
      const query = formText(members, paramAsJson)
      if (query !== '') path = `${route}?${query}`
    } else if (kind === 'json') body = Buffer.from(jsonText(members))
    else if (kind === 'form') body = Buffer.from(formText(members, paramAsJson))
    else if (kind === 'odd-json') body = Buffer.from(JSON.stringify(oddJson))
    else if (kind === 'bytes') body = bytes
    else if (kind === 'oversize') body = Buffer.alloc(MAX_BODY_BYTES + 1 + bytes.length, 0x20)
    const headers: Record<string, string> = { authorization: `Bearer ${KEY}` }
    if (type !== undefined && body !== undefined) headers['content-type'] = type
    return {
      request: { method, path, headers, body },
      typeFamily: body === undefined ? 'none' : familyOf(type),
      kind,
      route,
    } satisfies Input
  })

/** Paths that are not routes, or are routes spelled oddly. */
const strayInput: fc.Arbitrary<Input> = fc
  .record({
    path: fc.oneof(
      fc.constantFrom(
        '/',
        '/api',
        '/api/',
        '/API/PUSH',
        '/api/push/',
        '//api/push',
        '/api/%70ush',
        '/api/../rpc',
        '/rpc/',
        '/.env',
        '/metrics/x',
        '/healthz/',
        '/api/push?fd=1000000',
        '/%00',
        '/api/connections;x',
      ),
      fc.webPath().map((p) => (p.startsWith('/') ? p : `/${p}`)),
    ),
    method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'HEAD'),
    body: fc.option(fc.uint8Array({ maxLength: 100 }), { nil: undefined }),
  })
  .map(({ path, method, body }) => {
    const sendsBody = body !== undefined && method !== 'GET' && method !== 'HEAD'
    return {
      request: { method, path, headers: { authorization: `Bearer ${KEY}` }, body: sendsBody ? body : undefined },
      typeFamily: 'none',
      kind: 'bytes',
      route: ROUTES.includes(path) ? path : undefined,
    } satisfies Input
  })

/** Every manager answer: a documented status; errors as {"error":{"code","message"}} with nothing internal in them. */
function checkAnswer(input: Input, answer: RawResponse, d: FuzzDaemon): void {
  const sent = `${input.request.path} ${Buffer.from(input.request.body ?? []).toString('latin1')}`
  expect(DOCUMENTED, `status ${answer.status}: ${answer.text.slice(0, 300)}`).toContain(answer.status)
  if (input.request.method === 'HEAD' || answer.status === 204) return
  expect(answer.headers['content-type']).toMatch(/^application\/json/)
  expect(() => JSON.parse(answer.text) as unknown).not.toThrow()
  if (answer.status >= 400) {
    const body = JSON.parse(answer.text) as { error: { code: string; message: string } }
    expect(Object.keys(body)).toEqual(['error'])
    expect(Object.keys(body.error).sort()).toEqual(['code', 'message'])
    expect(body.error.code).toMatch(ERROR_CODE)
    expect(body.error.message).toEqual(expect.any(String))
    expect(leakedInternals(answer.text, sent, [d.project.root])).toEqual([])
    if (answer.status === 405) expect(answer.headers.allow).toEqual(expect.any(String))
  }
}

/** The documented routing: 404 off the routes, 405 for the wrong method, 415 for a body that is neither JSON nor a form. */
function checkRouting(input: Input, answer: RawResponse): void {
  const { route } = input
  const method = input.request.method === 'HEAD' ? 'GET' : input.request.method
  if (route === undefined || !input.request.path.startsWith(route)) return
  const allowed = route === '/rpc' || (REST_POST as readonly string[]).includes(route) ? 'POST' : 'GET'
  if (method !== allowed) {
    expect(answer.status, `${method} ${route}`).toBe(405)
    return
  }
  if (route === '/rpc') {
    // Only a JSON content type is read (what a cross-site page cannot send); JSON-RPC errors
    // travel in a 200; only notifications get 204; a body over the cap is refused before it is read.
    if (input.typeFamily !== 'json') expect(answer.status).toBe(415)
    else if (input.kind === 'oversize') expect(answer.status).toBe(413)
    else expect([200, 204]).toContain(answer.status)
    return
  }
  // A POST without a content type is refused like any other non-JSON, non-form one.
  if (allowed === 'POST' && (input.typeFamily === 'other' || input.typeFamily === 'none')) expect(answer.status).toBe(415)
  else if (allowed === 'POST' && input.kind === 'oversize') expect(answer.status).toBe(413)
  if (allowed === 'POST' && input.typeFamily === 'json' && input.kind === 'odd-json') {
    const value = JSON.parse(Buffer.from(input.request.body!).toString()) as unknown
    // A JSON body that is not an object is a bad request, whatever the route.
    if (value === null || typeof value !== 'object' || Array.isArray(value)) expect(answer.status).toBe(400)
  }
}

async function send(d: FuzzDaemon, input: Input): Promise<RawResponse> {
  const answer = await rawHttp(d.started.manager.port, input.request)
  // Node's HTTP parser refuses a request line and headers over 16 KiB with 431 before the manager sees them.
  if (input.request.path.length > MAX_HEADER_BYTES) {
    expect(answer.status).toBe(431)
    return answer
  }
  if (input.request.path.length > MAX_HEADER_BYTES / 2 && answer.status === 431) return answer
  checkAnswer(input, answer, d)
  checkRouting(input, answer)
  return answer
}

/** JSON-RPC requests of every shape; never `stop`, `reload` or `connections.kick`, which would act on the daemon under test. */
const rpcMethod = fc.oneof(
  fc.constantFrom('status', 'rooms.list', 'connections.list', 'broadcast', 'push', 'logs.tail'),
  fc.constantFrom(
    'nope',
    '',
    'Status',
    'STOP',
    '__proto__',
    'constructor',
    'toString',
    'hasOwnProperty',
    'rpc.discover',
    'logs.line',
    'stop ',
    ' reload',
  ),
  oddString(12),
)
const rpcParams: Record<string, fc.Arbitrary<unknown>> = {
  broadcast: fieldsFor['/api/broadcast']!,
  push: fieldsFor['/api/push']!,
  'connections.list': fieldsFor['/api/connections']!,
  'rooms.list': fieldsFor['/api/rooms']!,
  'logs.tail': fc.record(
    {
      lines: fc.oneof(fc.integer({ min: -1, max: 10_001 }), oddScalar),
      follow: fc.oneof(fc.boolean(), oddScalar),
      level: fc.oneof(fc.constantFrom('warn', 'fatal', 'WARN'), oddScalar),
    },
    { requiredKeys: [] },
  ),
}
const rpcRequest: fc.Arbitrary<unknown> = rpcMethod
  .filter((m) => m !== 'stop' && m !== 'reload' && m !== 'connections.kick')
  .chain((method) =>
    fc.record(
      {
        jsonrpc: fc.oneof(
          { arbitrary: fc.constant('2.0'), weight: 6 },
          { arbitrary: fc.oneof(fc.constantFrom('1.0', 2, '2', null), oddScalar), weight: 1 },
        ),
        id: fc.oneof(fc.integer(), oddString(8), fc.constant(null), fc.constantFrom([], {}, true, 1.5)),
        method: fc.oneof(
          { arbitrary: fc.constant(method), weight: 6 },
          { arbitrary: fc.oneof(oddScalar, fc.constant([method])), weight: 1 },
        ),
        params: fc.oneof(
          { arbitrary: (Object.hasOwn(rpcParams, method) ? rpcParams[method] : undefined) ?? fc.constant({}), weight: 4 },
          { arbitrary: fc.oneof(oddValue, fc.constant(null)), weight: 1 },
        ),
      },
      { requiredKeys: ['method'] },
    ),
  )

/** A message the server pushes on its own (`logs.line`): a method and no id. */
function isNotificationText(text: string): boolean {
  try {
    const value = JSON.parse(text) as Record<string, unknown>
    return typeof value.method === 'string' && !Object.hasOwn(value, 'id')
  } catch {
    return false
  }
}

interface RpcResponse {
  jsonrpc: string
  id: unknown
  result?: unknown
  error?: { code: number; message: string; data?: { code: string } }
}

function checkRpcAnswer(body: unknown, answer: RawResponse, d: FuzzDaemon): void {
  const bodyText = JSON.stringify(body) ?? ''
  if (answer.status === 204) {
    // Nothing is owed only when every request was a notification (no id).
    const requests = Array.isArray(body) ? body : [body]
    for (const r of requests) expect(typeof r === 'object' && r !== null && !Array.isArray(r) && !Object.hasOwn(r, 'id')).toBe(true)
    return
  }
  expect(answer.status).toBe(200)
  const parsed = JSON.parse(answer.text) as RpcResponse | RpcResponse[]
  const responses = Array.isArray(parsed) ? parsed : [parsed]
  if (Array.isArray(body) && body.length > 0) expect(responses.length).toBeLessThanOrEqual(body.length)
  for (const response of responses) {
    expect(response.jsonrpc).toBe('2.0')
    expect(Object.hasOwn(response, 'id')).toBe(true)
    expect((response.result === undefined) !== (response.error === undefined), JSON.stringify(response).slice(0, 300)).toBe(true)
    if (response.error) {
      // -32603 is the internal error: a bug, the JSON-RPC face of a 500.
      expect([-32700, -32600, -32601, -32602, -32000], JSON.stringify(response.error)).toContain(response.error.code)
      expect(response.error.data?.code).toMatch(ERROR_CODE)
      expect(response.error.data?.code).not.toBe('MSW_ERR_INTERNAL')
      expect(leakedInternals(JSON.stringify(response.error), bodyText, [d.project.root])).toEqual([])
    }
  }
}

describe('the manager port under fuzzed requests', () => {
  // Started before the first property of this block, stopped after its last.
  const daemon = useFuzzDaemon({ manager: { key: KEY }, setting: { max_messages_per_second: 100_000 } })

  it.prop([fc.oneof({ arbitrary: restInput, weight: 4 }, { arbitrary: strayInput, weight: 1 })], { numRuns: 250 })(
    'answers any method, path, content type and body with a documented status and a plain JSON error, never a 500',
    async (input) => {
      const d = daemon()
      await send(d, input)
      await checkpoint(d)
    },
    PROPERTY_TIMEOUT,
  )

  it.prop([fc.oneof(rpcRequest, fc.array(rpcRequest, { minLength: 0, maxLength: 4 }))], { numRuns: 150 })(
    'answers JSON-RPC over HTTP, single or batched, with results or JSON-RPC errors, never an internal error',
    async (body) => {
      const d = daemon()
      const answer = await rawHttp(d.started.manager.port, {
        method: 'POST',
        path: '/rpc',
        headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
        body: Buffer.from(JSON.stringify(body)),
      })
      checkRpcAnswer(body, answer, d)
      await checkpoint(d)
    },
    PROPERTY_TIMEOUT,
  )

  const transports = ['rest-json', 'rest-form', 'rest-push', 'rpc-http', 'control-socket'] as const

  it.prop(
    [
      fc.oneof(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 30, max: 34 }), fc.integer({ min: 1, max: 20_000 })),
      fc.constantFrom(...transports),
    ],
    { numRuns: 60 },
  )(
    'refuses a backend param nested deeper than 32 levels with 400 (JSON-RPC -32602) and sends one within it, on every transport',
    async (depth, transport) => {
      const d = daemon()
      const param = nestedParam(depth)
      expect(levels(JSON.parse(param))).toBe(depth)
      const tooDeep = depth > 32
      // A room nobody is in: an accepted broadcast is delivered to no one.
      const broadcast = `{"room":"fuzz-nobody","param":${param}}`
      const headers = { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }
      if (transport === 'control-socket' || transport === 'rpc-http') {
        const request = `{"jsonrpc":"2.0","id":7,"method":"broadcast","params":${broadcast}}`
        let response: RpcResponse
        if (transport === 'control-socket') {
          response = (await d.control.send(request)) as RpcResponse
        } else {
          const answer = await rawHttp(d.started.manager.port, { method: 'POST', path: '/rpc', headers, body: Buffer.from(request) })
          expect(answer.status).toBe(200)
          response = JSON.parse(answer.text) as RpcResponse
        }
        if (tooDeep) expect(response.error).toMatchObject({ code: -32602, data: { code: 'MSW_ERR_RPC_INVALID_PARAMS' } })
        else expect(response.result).toEqual({ delivered: 0, nodes: 0 })
      } else {
        const request: RawRequest =
          transport === 'rest-form'
            ? {
                method: 'POST',
                path: '/api/broadcast',
                headers: { ...headers, 'content-type': FORM },
                body: Buffer.from(`room=fuzz-nobody&param=${encodeURIComponent(param)}`),
              }
            : transport === 'rest-push'
              ? { method: 'POST', path: '/api/push', headers, body: Buffer.from(`{"uid":"fuzz-nobody","param":${param}}`) }
              : { method: 'POST', path: '/api/broadcast', headers, body: Buffer.from(broadcast) }
        const answer = await rawHttp(d.started.manager.port, request)
        const body = JSON.parse(answer.text) as { error?: { code: string; message: string } }
        if (tooDeep) {
          expect(answer.status, answer.text.slice(0, 300)).toBe(400)
          expect(body.error?.code).toBe('MSW_ERR_RPC_INVALID_PARAMS')
        } else if (transport === 'rest-push') {
          // Accepted, and nobody has that uid.
          expect(answer.status, answer.text.slice(0, 300)).toBe(404)
          expect(body.error?.code).toBe('MSW_ERR_CONN_NOT_FOUND')
        } else {
          expect(answer.status, answer.text.slice(0, 300)).toBe(200)
          expect(body).toEqual({ delivered: 0, nodes: 0 })
        }
      }
      await checkpoint(d)
    },
    PROPERTY_TIMEOUT,
  )

  /** A well-formed notification: jsonrpc "2.0", a method name, structured params or none, and no id. */
  const notification = fc
    .record(
      {
        method: rpcMethod.filter((m) => m !== 'stop' && m !== 'reload' && m !== 'connections.kick' && m !== 'logs.tail'),
        params: fc.oneof(
          fc.dictionary(oddKey, oddScalar, { maxKeys: 3 }),
          fc.array(oddScalar, { maxLength: 3 }),
          fieldsFor['/api/broadcast']!,
          fieldsFor['/api/push']!,
        ),
      },
      { requiredKeys: ['method'] },
    )
    .map((fields) => ({ jsonrpc: '2.0', ...fields }))

  it.prop([notification, fc.constantFrom('rpc-http', 'control-socket', 'manager-websocket')], { numRuns: 40 })(
    'never answers a notification (a request without an id), not even one that fails',
    async (note, transport) => {
      const d = daemon()
      const text = JSON.stringify(note)
      if (transport === 'rpc-http') {
        const answer = await rawHttp(d.started.manager.port, {
          method: 'POST',
          path: '/rpc',
          headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
          body: Buffer.from(text),
        })
        expect({ status: answer.status, text: answer.text }).toEqual({ status: 204, text: '' })
      } else {
        // The notification, then a request: the next answer must be the request's, as a client pairing answers in order expects.
        const request = '{"jsonrpc":"2.0","id":"after","method":"rooms.list","params":{"limit":1}}'
        let next: RpcResponse
        if (transport === 'control-socket') {
          const c = await RawControl.connect(d.project.socket)
          try {
            c.socket.write(`${text}\n${request}\n`)
            next = JSON.parse(
              await within(
                c.lines.waitFor((line) => !isNotificationText(line)),
                HANG_MS,
                'control answer',
              ),
            ) as RpcResponse
          } finally {
            c.close()
          }
        } else {
          const ws = await TestClient.connect(`ws://127.0.0.1:${d.started.manager.port}/?key=${KEY}`)
          try {
            ws.send(text)
            ws.send(request)
            next = JSON.parse(await frameMatching(ws, (frame) => !isNotificationText(frame), 'manager socket answer')) as RpcResponse
          } finally {
            ws.ws.terminate()
          }
        }
        expect(next, `first answer after ${text}`).toMatchObject({ id: 'after', result: { limit: 1 } })
      }
      await checkpoint(d)
    },
    PROPERTY_TIMEOUT,
  )

  /** What MSwoole-ws's console sends: {"method": …} with maybe a "say", or something that is no command at all. Never stop or reload. */
  const consoleMessage = fc.oneof(
    {
      arbitrary: fc
        .record(
          {
            method: fc.oneof(
              fc.constantFrom('status', 'say', 'nope', 'Status', 'SAY', 'stop ', ' reload', '', '__proto__', 'toString', 'constructor'),
              oddString(12),
            ),
            say: fc.oneof(
              oddValue,
              fc.integer({ min: 30, max: 40 }).map((depth) => JSON.parse(nestedParam(depth)) as unknown),
            ),
            extra: oddScalar,
          },
          { requiredKeys: ['method'] },
        )
        .filter(({ method }) => method !== 'stop' && method !== 'reload')
        .map((fields) => JSON.stringify(fields)),
      weight: 3,
    },
    {
      arbitrary: fc.oneof(
        oddString(30),
        fc
          .jsonValue({ maxDepth: 2 })
          .filter((v) => !Array.isArray(v))
          .map((v) => JSON.stringify(v)),
        fc.constant('{"method":5}'),
      ),
      weight: 1,
    },
  )

  it.prop([consoleMessage], { numRuns: 60 })(
    "answers the seed console's commands with Manager.php's one frame, anything else with its malformed-message text, and closes",
    async (text) => {
      const d = daemon()
      const ws = await TestClient.connect(`ws://127.0.0.1:${d.started.manager.port}/?key=${KEY}`)
      try {
        ws.send(text)
        let value: unknown
        try {
          value = JSON.parse(text)
        } catch {
          value = undefined
        }
        const fields = typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined
        const reply = await within(ws.nextFrame(), HANG_MS, 'console reply')
        expect(leakedInternals(reply, text, [d.project.root])).toEqual([])
        if (fields?.method === undefined || fields.method === null) {
          expect(reply).toBe('格式不符合规范')
        } else if (fields.method === 'status') {
          expect(reply).toMatch(new RegExp(`^当前服务器共有 \\d+ 个连接\n主进程PID: ${d.started.pid}\n内存占用量: [\\d.]+MB\n$`))
        } else if (fields.method === 'say') {
          // The same limit as a broadcast's param.
          if (levels(fields.say) > 32) expect(reply).toMatch(/^error \[MSW_ERR_RPC_INVALID_PARAMS\]: /)
          else
            expect(JSON.parse(reply)).toEqual({
              status: 200,
              event: 'serverBroadcast',
              info: '收到服务广播内容',
              param: fields.say ?? null,
            })
        } else {
          expect(reply).toBe('指令无效')
        }
        expect((await within(ws.closed(), HANG_MS, 'close after the reply')).code).toBe(1005)
      } finally {
        ws.ws.terminate()
      }
      await checkpoint(d)
    },
    PROPERTY_TIMEOUT,
  )

  it('is still the same daemon afterwards: it answers, its heap settles, the control connection never dropped', async () => {
    const d = daemon()
    await controlCall(d, 'rooms.list', {})
    await afterFuzz(d)
  })
})

describe('a backend param nested far too deep', () => {
  // A daemon of its own, so this stays a plain regression test whatever the fuzz above did.
  const project = useProjects()

  it('answers POST /api/broadcast with a param nested 10,000 deep with 400, not 500, and goes on serving', async () => {
    const p = await project({ manager: { key: KEY } })
    const started = await startDaemon(p)
    const answer = await rawHttp(started.manager.port, {
      method: 'POST',
      path: '/api/broadcast',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: Buffer.from(`{"all":true,"param":${nestedParam(10_000)}}`),
    })
    expect(answer.status, answer.text.slice(0, 300)).toBe(400)
    expect(JSON.parse(answer.text)).toMatchObject({
      error: { code: 'MSW_ERR_RPC_INVALID_PARAMS', message: expect.stringContaining('param') },
    })
    const status = await rawHttp(started.manager.port, { method: 'GET', path: '/api/status', headers: { authorization: `Bearer ${KEY}` } })
    expect(status.status).toBe(200)
    expect(JSON.parse(status.text)).toMatchObject({ running: true, pid: started.pid })
  })
})
