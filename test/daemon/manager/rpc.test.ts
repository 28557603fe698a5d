import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { ConnectionsListResult, StatusResult } from '../../../src/contracts/control-api.js'
import { cleanupProject, startDaemon } from '../../helpers/cli.js'
import { mintToken, TestClient } from '../../helpers/client.js'
import { makeProject, type Project } from '../../helpers/project.js'
import { managerOf, nextJson, request, type ManagerTarget } from './manager-http.js'

const KEY = 'rpc-key'

interface RpcAnswer {
  jsonrpc: '2.0'
  id: string | number | null
  result?: Record<string, unknown>
  error?: { code: number; message: string; data?: { code: string } }
}

let p: Project
let started: StatusResult
let manager: ManagerTarget
const sockets: TestClient[] = []

beforeAll(async () => {
  p = await makeProject({ manager: { key: KEY } })
  started = await startDaemon(p)
  manager = managerOf(started, KEY)
})
afterEach(() => {
  for (const s of sockets.splice(0)) s.close()
})
afterAll(() => cleanupProject(p))

function rpc(body: unknown): Promise<{ status: number; body: RpcAnswer | RpcAnswer[]; text: string }> {
  return request<RpcAnswer | RpcAnswer[]>(
    manager,
    '/rpc',
    typeof body === 'string' ? { body, method: 'POST', contentType: 'application/json' } : { json: body },
  )
}

async function managerSocket(): Promise<TestClient> {
  const socket = await TestClient.connect(`${manager.ws}/rpc?key=${KEY}`)
  sockets.push(socket)
  return socket
}

describe('JSON-RPC over POST /rpc', () => {
  it('answers a single request with its result', async () => {
    const answer = await rpc({ jsonrpc: '2.0', id: 'a', method: 'status' })
    expect(answer.status).toBe(200)
    expect(answer.body).toMatchObject({ jsonrpc: '2.0', id: 'a', result: { pid: started.pid, running: true } })
  })

  it('answers a batch in one array, with errors for the failing entries and nothing for notifications', async () => {
    const answer = await rpc([
      { jsonrpc: '2.0', id: 1, method: 'rooms.list', params: { limit: 5 } },
      { jsonrpc: '2.0', id: 2, method: 'no.such.method' },
      { jsonrpc: '2.0', id: 3, method: 'push', params: { fd: 1, uid: 'x' } },
      { jsonrpc: '2.0', method: 'status' },
    ])
    expect(answer.status).toBe(200)
    const [rooms, unknown, invalid, ...rest] = answer.body as RpcAnswer[]
    expect(rest).toHaveLength(0)
    expect(rooms).toMatchObject({ id: 1, result: { limit: 5 } })
    expect(unknown).toMatchObject({ id: 2, error: { code: -32601, data: { code: 'MSW_ERR_RPC_METHOD_NOT_FOUND' } } })
    expect(invalid).toMatchObject({ id: 3, error: { code: -32602, message: 'push: give exactly one of fd and uid' } })
  })

  it('answers 204 to notifications only', async () => {
    const answer = await rpc({ jsonrpc: '2.0', method: 'status' })
    expect(answer.status).toBe(204)
    expect(answer.text).toBe('')
  })

  it('answers malformed JSON and a malformed request with JSON-RPC errors', async () => {
    expect((await rpc('{"jsonrpc":')).body).toMatchObject({ id: null, error: { code: -32700, data: { code: 'MSW_ERR_RPC_PARSE' } } })
    expect((await rpc({ id: 4, method: 'status' })).body).toMatchObject({ id: 4, error: { code: -32600 } })
    expect((await rpc([])).body).toMatchObject({ error: { code: -32600 } })
  })

  it('refuses logs.tail with follow, pointing at the WebSocket, and serves it without', async () => {
    const refused = (await rpc({ jsonrpc: '2.0', id: 5, method: 'logs.tail', params: { follow: true } })).body as RpcAnswer
    expect(refused.error).toMatchObject({ code: -32602, data: { code: 'MSW_ERR_RPC_INVALID_PARAMS' } })
    expect(refused.error?.message).toMatch(/WebSocket/)
    const tail = (await rpc({ jsonrpc: '2.0', id: 6, method: 'logs.tail', params: { lines: 5 } })).body as RpcAnswer
    expect(tail.result).toMatchObject({ file: p.logFile })
    expect((tail.result?.lines as string[] | undefined)?.length).toBeGreaterThan(0)
  })
})

describe('JSON-RPC over the manager WebSocket', () => {
  it('answers calls and batches', async () => {
    const socket = await managerSocket()
    socket.send({ jsonrpc: '2.0', id: 1, method: 'status' })
    expect(await nextJson<RpcAnswer>(socket, (m) => m.id === 1)).toMatchObject({ result: { pid: started.pid } })
    socket.send([
      { jsonrpc: '2.0', id: 2, method: 'connections.list' },
      { jsonrpc: '2.0', id: 3, method: 'nope' },
    ])
    const batch = await nextJson<RpcAnswer[]>(socket, (m) => Array.isArray(m))
    expect(batch.map((a) => a.id)).toEqual([2, 3])
    expect(batch[1]?.error?.code).toBe(-32601)
    socket.send({ jsonrpc: '1.0', id: 9, method: 'status' })
    expect(await nextJson<RpcAnswer>(socket, (m) => m.id === 9)).toMatchObject({ error: { code: -32600 } })
  })

  it('streams logs.line notifications while following logs.tail, and stops when the socket closes', async () => {
    const socket = await managerSocket()
    socket.send({ jsonrpc: '2.0', id: 1, method: 'logs.tail', params: { lines: 0, follow: true } })
    expect(await nextJson<RpcAnswer>(socket, (m) => m.id === 1)).toMatchObject({ result: { lines: [] } })

    // A kick is logged: the follower sees the line.
    const client = await TestClient.connect(
      `ws://127.0.0.1:${started.outside.port}/?auth=${await mintToken({ id: 'followed', type: 'wall', code: 'r' })}`,
    )
    const listed = await request<ConnectionsListResult>(manager, '/api/connections?uid=followed')
    const fd = listed.body.connections[0]!.fd
    expect((await request(manager, '/api/kick', { json: { fd, reason: 'log me' } })).status).toBe(200)
    const note = await nextJson<{ method: string; params: { line: string } }>(
      socket,
      (m) => m.method === 'logs.line' && m.params.line.includes('log me'),
    )
    expect(JSON.parse(note.params.line)).toMatchObject({ msg: 'connection kicked', fd })
    await client.closed()

    socket.close()
    await socket.closed()
    // The daemon goes on serving once the follower has gone.
    expect((await request(manager, '/api/status')).status).toBe(200)
  })

  it('survives a bad frame and a client that vanishes mid-call', async () => {
    const socket = await managerSocket()
    socket.ws.send(Buffer.from([0xff, 0xfe, 0x00]))
    // Not JSON: the seed console's malformed-message answer, then closed (an empty close frame: 1005).
    expect(await socket.nextFrame()).toBe('格式不符合规范')
    expect((await socket.closed()).code).toBe(1005)

    const huge = await managerSocket()
    huge.send('x'.repeat(1024 * 1024 + 1))
    expect((await huge.closed()).code).toBe(1009)

    const gone = await managerSocket()
    gone.send({ jsonrpc: '2.0', id: 1, method: 'logs.tail', params: { lines: 1000, follow: true } })
    gone.ws.terminate()
    expect((await request(manager, '/api/status')).status).toBe(200)
  })
})
