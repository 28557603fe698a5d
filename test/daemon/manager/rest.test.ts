import net from 'node:net'
import { once } from 'node:events'
import { execa } from 'execa'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { ConnectionsListResult, RoomsListResult, StatusResult } from '../../../src/contracts/control-api.js'
import { cleanupProject, startDaemon } from '../../helpers/cli.js'
import { mintToken, TestClient } from '../../helpers/client.js'
import { makeProject, type Project } from '../../helpers/project.js'
import { ensureProgram } from '../../helpers/system-package.js'
import { managerOf, request, type ErrorBody, type ManagerTarget } from './manager-http.js'

const KEY = 'rest-key'

let p: Project
let started: StatusResult
let manager: ManagerTarget
const clients: TestClient[] = []

beforeAll(async () => {
  p = await makeProject({ manager: { key: KEY }, setting: { ack: false } })
  started = await startDaemon(p)
  manager = managerOf(started, KEY)
})
afterEach(() => {
  for (const c of clients.splice(0)) c.close()
})
afterAll(() => cleanupProject(p))

/** A client with its own uid, in room `code`; resolves with its fd as the manager lists it. */
async function client(uid: string, code: string): Promise<{ c: TestClient; fd: number }> {
  const c = await TestClient.connect(
    `ws://127.0.0.1:${started.outside.port}/?auth=${await mintToken({ id: uid, type: 'wechatUser', code })}`,
  )
  clients.push(c)
  const listed = await request<ConnectionsListResult>(manager, `/api/connections?uid=${uid}`)
  expect(listed.body.connections).toHaveLength(1)
  return { c, fd: listed.body.connections[0]!.fd }
}

/** One client in each room named, each with a uid of its own. */
async function clientsIn(...rooms: string[]): Promise<void> {
  for (const [i, room] of rooms.entries()) await client(`${room}-${i}`, room)
}

describe('REST: reading', () => {
  it('GET /api/status answers the status result', async () => {
    const answer = await request<StatusResult>(manager, '/api/status')
    expect(answer.status).toBe(200)
    expect(answer.body).toMatchObject({ running: true, pid: started.pid, manager: started.manager })
  })

  it('GET /api/connections filters and pages from the query string, numbers coerced', async () => {
    await clientsIn('hall-list', 'hall-list', 'elsewhere')
    const page = await request<ConnectionsListResult>(manager, '/api/connections?room=hall-list&limit=1&offset=1')
    expect(page.status).toBe(200)
    expect(page.body).toMatchObject({ total: 2, offset: 1, limit: 1 })
    expect(page.body.connections).toHaveLength(1)
    expect(page.body.connections[0]).toMatchObject({ code: 'hall-list', type: 'wechatUser', ip: '127.0.0.1' })
    const byType = await request<ConnectionsListResult>(manager, '/api/connections?type=wall')
    expect(byType.body.total).toBe(0)
  })

  it('GET /api/rooms lists rooms by prefix with their members', async () => {
    await clientsIn('rooms-1', 'rooms-1', 'rooms-2')
    const answer = await request<RoomsListResult>(manager, '/api/rooms?prefix=rooms-&limit=10')
    expect(answer.status).toBe(200)
    expect(answer.body.rooms).toEqual([
      { name: 'rooms-1', members: 2 },
      { name: 'rooms-2', members: 1 },
    ])
  })

  it('answers 400 naming the parameter for a query that does not fit', async () => {
    for (const query of ['limit=lots', 'limit=0', 'offset=-1', 'colour=red']) {
      const answer = await request<ErrorBody>(manager, `/api/connections?${query}`)
      expect(answer.status, query).toBe(400)
      expect(answer.body.error.code, query).toBe('MSW_ERR_RPC_INVALID_PARAMS')
      expect(answer.body.error.message, query).toMatch(/^connections\.list: /)
    }
  })
})

describe('REST: sending', () => {
  it('POST /api/push with a JSON body reaches the fd, and by uid every connection of the uid', async () => {
    const { c, fd } = await client('push-json', 'hall-push')
    const byFd = await request(manager, '/api/push', { json: { fd, event: 'prizeDrawn', info: 'you won', param: { prize: 1 } } })
    expect(byFd).toMatchObject({ status: 200, body: { delivered: 1 } })
    expect(await c.next('prizeDrawn')).toEqual({ status: 200, event: 'prizeDrawn', info: 'you won', param: { prize: 1 } })
    const byUid = await request(manager, '/api/push', {
      json: { uid: 'push-json', status: 403, event: 'muted', info: 'muted' },
      auth: 'x-api-key',
    })
    expect(byUid).toMatchObject({ status: 200, body: { delivered: 1 } })
    expect(await c.next('muted')).toMatchObject({ status: 403, info: 'muted' })
  })

  it('takes a PHP backend form post (curl -d, X-Api-Key) and the client gets the envelope', async () => {
    const curl = await ensureProgram('/usr/bin/curl', 'curl')
    const { c, fd } = await client('push-form', 'hall-form')
    const result = await execa(curl, [
      '-sS',
      '-w',
      '\n%{http_code}',
      '-H',
      `X-Api-Key: ${KEY}`,
      '-d',
      `fd=${fd}&event=prizeDrawn&info=${encodeURIComponent('一等奖 & more')}&param={"prize":1}`,
      `${manager.http}/api/push`,
    ])
    const [body, code] = result.stdout.split('\n')
    expect(code).toBe('200')
    expect(JSON.parse(body!)).toEqual({ delivered: 1, nodes: 0 })
    expect(await c.next('prizeDrawn')).toEqual({ status: 200, event: 'prizeDrawn', info: '一等奖 & more', param: { prize: 1 } })
  })

  it('coerces form fields as http_build_query sends them: numbers, except[], all=1, nested param', async () => {
    const a = await client('form-a', 'hall-coerce')
    const b = await client('form-b', 'hall-coerce')
    const form = `room=hall-coerce&event=formCast&status=201&except%5B%5D=${a.fd}&param%5Bprize%5D=2&param%5Btags%5D%5B%5D=x`
    const answer = await request(manager, '/api/broadcast', { body: form, contentType: 'application/x-www-form-urlencoded' })
    expect(answer).toMatchObject({ status: 200, body: { delivered: 1 } })
    expect(await b.c.next('formCast')).toEqual({ status: 201, event: 'formCast', info: '', param: { prize: '2', tags: ['x'] } })

    const all = await request(manager, '/api/broadcast', {
      body: `all=1&event=toAll&except=${a.fd},${b.fd}&param=plain text`,
      contentType: 'application/x-www-form-urlencoded',
    })
    expect(all.status).toBe(200)
    const third = await client('form-c', 'hall-other')
    const again = await request(manager, '/api/broadcast', {
      body: 'all=true&event=toAll2&param=7',
      contentType: 'application/x-www-form-urlencoded',
    })
    expect(again.status).toBe(200)
    expect(await third.c.next('toAll2')).toMatchObject({ param: 7 })
    // a and b were in except of the first: the next frame each gets is the second.
    expect(JSON.parse(await a.c.nextFrame())).toMatchObject({ event: 'toAll2', param: 7 })
    expect(JSON.parse(await b.c.nextFrame())).toMatchObject({ event: 'toAll2', param: 7 })
  })

  it('POST /api/broadcast with a JSON body reaches the room, minus except', async () => {
    const a = await client('cast-a', 'hall-cast')
    const b = await client('cast-b', 'hall-cast')
    const answer = await request(manager, '/api/broadcast', {
      json: { room: 'hall-cast', event: 'wallMessage', info: 'hi', except: [a.fd] },
    })
    expect(answer).toMatchObject({ status: 200, body: { delivered: 1 } })
    expect(await b.c.next('wallMessage')).toMatchObject({ status: 200, info: 'hi' })
    // a was skipped: the next thing it gets is a later broadcast.
    await request(manager, '/api/broadcast', { json: { room: 'hall-cast', event: 'second' } })
    expect(JSON.parse(await a.c.nextFrame())).toMatchObject({ event: 'second' })
  })

  it('POST /api/kick closes the connection with the code and reason the client sees', async () => {
    const { c, fd } = await client('kick-me', 'hall-kick')
    const answer = await request(manager, '/api/kick', { json: { fd, code: 4001, reason: 'spamming' } })
    expect(answer).toMatchObject({ status: 200, body: { fd, code: 4001, reason: 'spamming' } })
    expect(await c.closed()).toEqual({ code: 4001, reason: 'spamming' })
    const form = await client('kick-form', 'hall-kick')
    expect((await request(manager, '/api/kick', { body: `fd=${form.fd}`, contentType: 'application/x-www-form-urlencoded' })).status).toBe(
      200,
    )
    expect(await form.c.closed()).toEqual({ code: 4000, reason: 'kicked' })
  })

  it('answers 404 MSW_ERR_CONN_NOT_FOUND for an fd or uid with no connection', async () => {
    for (const [path, json] of [
      ['/api/push', { fd: 999_999 }],
      ['/api/push', { uid: 'nobody-here' }],
      ['/api/kick', { fd: 999_999 }],
    ] as const) {
      const answer = await request<ErrorBody>(manager, path, { json })
      expect(answer.status, path).toBe(404)
      expect(answer.body.error.code, path).toBe('MSW_ERR_CONN_NOT_FOUND')
    }
  })
})

describe('REST: bad requests', () => {
  it('answers 400 with the reason for params that do not fit', async () => {
    const cases: Array<[string, unknown, RegExp]> = [
      ['/api/push', { fd: 1, uid: 'x' }, /^push: give exactly one of fd and uid$/],
      ['/api/push', {}, /^push: give exactly one of fd and uid$/],
      ['/api/push', { fd: 'one' }, /^push: fd: /],
      ['/api/broadcast', { event: 'x' }, /^broadcast: give exactly one of room and all$/],
      ['/api/kick', { fd: 1, code: 1006 }, /^connections\.kick: code: close code must be 1000 or 3000–4999$/],
      ['/api/push', { fd: 1, extra: true }, /^push: /],
      ['/api/broadcast', { all: true, param: nested(33) }, /^broadcast: param: param nests deeper than 32 levels$/],
    ]
    for (const [path, json, message] of cases) {
      const answer = await request<ErrorBody>(manager, path, { json })
      expect(answer.status, JSON.stringify(json)).toBe(400)
      expect(answer.body.error.code).toBe('MSW_ERR_RPC_INVALID_PARAMS')
      expect(answer.body.error.message).toMatch(message)
    }
  })

  it('answers 400 for a param nested far past the limit, which would overflow the stack of the frame builder', async () => {
    const depth = 100_000
    const param = `${'['.repeat(depth)}${']'.repeat(depth)}`
    for (const [path, target] of [
      ['/api/broadcast', '"all":true'],
      ['/api/push', '"fd":1'],
    ]) {
      const answer = await request<ErrorBody>(manager, path!, { body: `{${target},"param":${param}}`, contentType: 'application/json' })
      expect(answer.status, path).toBe(400)
      expect(answer.body.error).toMatchObject({
        code: 'MSW_ERR_RPC_INVALID_PARAMS',
        message: expect.stringMatching(/param nests deeper than 32 levels$/),
      })
    }
    // The manager still serves, and so does the daemon.
    expect((await request(manager, '/api/status')).status).toBe(200)
  })

  it('answers 400 MSW_ERR_BAD_REQUEST for a body that is not JSON, or not an object', async () => {
    for (const body of ['{"fd":', 'not json', '[1,2]', '"text"']) {
      const answer = await request<ErrorBody>(manager, '/api/push', { body, contentType: 'application/json' })
      expect(answer.status, body).toBe(400)
      expect(answer.body.error.code, body).toBe('MSW_ERR_BAD_REQUEST')
      expect(answer.body.error.message, body).toMatch(/JSON/)
    }
  })

  it('answers 413 for a body over 1 MiB, declared or streamed', async () => {
    const big = Buffer.alloc(1024 * 1024 + 1, 0x20)
    const declared = await request<ErrorBody>(manager, '/api/push', { body: big, contentType: 'application/json' })
    expect(declared.status).toBe(413)
    expect(declared.body.error.code).toBe('MSW_ERR_BODY_TOO_LARGE')

    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 3; i++) controller.enqueue(new Uint8Array(512 * 1024).fill(0x20))
        controller.close()
      },
    })
    const res = await fetch(`${manager.http}/api/broadcast`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: stream,
      duplex: 'half',
    } as RequestInit)
    expect(res.status).toBe(413)
    expect(((await res.json()) as ErrorBody).error.code).toBe('MSW_ERR_BODY_TOO_LARGE')
  })

  it('answers 415 for a content type other than JSON or a form', async () => {
    const answer = await request<ErrorBody>(manager, '/api/push', { body: 'fd=1', contentType: 'text/plain' })
    expect(answer.status).toBe(415)
    expect(answer.body.error.code).toBe('MSW_ERR_UNSUPPORTED_MEDIA_TYPE')
    expect(answer.body.error.message).toContain('text/plain')
  })

  it('answers 405 with Allow for the wrong method, and 404 for an unknown route', async () => {
    const get = await request<ErrorBody>(manager, '/api/push')
    expect(get.status).toBe(405)
    expect(get.headers.get('allow')).toBe('POST')
    expect(get.body.error.code).toBe('MSW_ERR_METHOD_NOT_ALLOWED')
    const post = await request(manager, '/api/status', { method: 'POST', json: {} })
    expect(post.status).toBe(405)
    expect(post.headers.get('allow')).toBe('GET, HEAD')
    const missing = await request<ErrorBody>(manager, '/api/nothing')
    expect(missing.status).toBe(404)
    expect(missing.body.error.code).toBe('MSW_ERR_NOT_FOUND')
  })

  it('survives a half-sent request, a client gone mid-body and a broken request line', async () => {
    const { port } = started.manager
    const half = net.connect(port, '127.0.0.1')
    await once(half, 'connect')
    half.write(
      `POST /api/push HTTP/1.1\r\nhost: x\r\nx-api-key: ${KEY}\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"fd":`,
    )
    half.destroy()

    const broken = net.connect(port, '127.0.0.1')
    broken.on('error', () => undefined)
    await once(broken, 'connect')
    broken.write('NOT HTTP AT ALL\r\n\r\n')
    const [reply] = (await once(broken, 'data')) as [Buffer]
    expect(reply.toString()).toMatch(/^HTTP\/1\.1 400/)
    broken.destroy()

    expect((await request(manager, '/api/status')).status).toBe(200)
    expect((await request(manager, '/healthz', { auth: 'none' })).status).toBe(200)
  })
})

/** An array `depth` levels deep. */
function nested(depth: number): unknown {
  let value: unknown = []
  for (let level = 1; level < depth; level++) value = [value]
  return value
}
