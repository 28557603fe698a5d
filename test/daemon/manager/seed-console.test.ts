import { describe, expect, it } from 'vitest'
import { waitForExit } from '../../../src/lifecycle/wait-exit.js'
import { withDaemon } from '../../../src/ipc/client.js'
import type { StatusResult } from '../../../src/contracts/control-api.js'
import { useSharedDaemon } from '../../helpers/cli.js'
import { mintToken, TestClient } from '../../helpers/client.js'
import { poll } from '../../helpers/poll.js'
import { managerOf, nextJson } from './manager-http.js'

/**
 * The seed's console commands from a masking client (ws), and in the "modern"
 * wire format. The unmasked Swoole client, byte for byte in the "seed"
 * format, is test/compat/seed-console.test.ts.
 */

/** An empty close frame reads as 1005 (no status code) in ws. */
const NO_STATUS = 1005

/** Connect to / on the manager port, send, read the first frame. */
async function consoleSays(status: StatusResult, message: unknown): Promise<{ reply: string; socket: TestClient }> {
  const socket = await TestClient.connect(`${managerOf(status).ws}/`)
  socket.send(message)
  return { reply: await socket.nextFrame(), socket }
}

async function client(status: StatusResult, id: string): Promise<TestClient> {
  return TestClient.connect(`ws://127.0.0.1:${status.outside.port}/?auth=${await mintToken({ id, type: 'wechatUser', code: 'hall' })}`)
}

describe('seed wire format, masked client', () => {
  const daemon = useSharedDaemon()

  it('answers, then closes with an empty close frame', async () => {
    const { reply, socket } = await consoleSays(daemon().status, { method: 'status' })
    expect(reply).toContain(`主进程PID: ${daemon().status.pid}\n`)
    expect((await socket.closed()).code).toBe(NO_STATUS)
  })

  it('answers the first command only: a frame sent right behind it is dropped with the connection', async () => {
    const socket = await TestClient.connect(`${managerOf(daemon().status).ws}/`)
    socket.send({ method: 'restart' })
    socket.send({ method: 'status' })
    expect((await socket.closed()).code).toBe(NO_STATUS)
    expect(socket.frames).toEqual(['指令无效'])
  })

  it('keeps a JSON-RPC connection open', async () => {
    const socket = await TestClient.connect(`${managerOf(daemon().status).ws}/`)
    for (const id of [1, 2]) {
      socket.send({ jsonrpc: '2.0', id, method: 'status' })
      const { result } = await nextJson<{ id?: number; result: StatusResult }>(socket, (m) => m.id === id)
      expect(result.pid).toBe(daemon().status.pid)
    }
    socket.close()
  })
})

describe('modern wire format: English texts, plain JSON, the same frames and close', () => {
  const daemon = useSharedDaemon({ setting: { wire_format: 'modern' } })

  it('status: connections, master pid and memory, one per line', async () => {
    const { project, status } = daemon()
    await poll(
      () => withDaemon(project.socket, (c) => c.call('status', {})),
      (s) => s.connections === 0,
    )
    const { reply, socket } = await consoleSays(status, { method: 'status' })
    expect(reply).toMatch(new RegExp(`^connections: 1\\nmaster pid: ${status.pid}\\nmemory: \\d+(\\.\\d{1,2})?MB\\n$`))
    expect((await socket.closed()).code).toBe(NO_STATUS)
  })

  it('say: every client and the console get the envelope, param included, UTF-8 unescaped', async () => {
    const { status } = daemon()
    const a = await client(status, 'u1')
    const said = '{"status":200,"event":"serverBroadcast","info":"server broadcast","param":"doors / 八点"}'
    const { reply, socket } = await consoleSays(status, { method: 'say', say: 'doors / 八点' })
    expect(reply).toBe(said)
    expect((await socket.closed()).code).toBe(NO_STATUS)
    let frame = await a.nextFrame()
    while (!frame.includes('serverBroadcast')) frame = await a.nextFrame()
    expect(frame).toBe(said)
    a.close()
  })

  it('unknown and malformed messages', async () => {
    const { status } = daemon()
    const unknown = await consoleSays(status, { method: 'restart' })
    expect(unknown.reply).toBe('unknown command "restart"; valid commands: status, reload, stop, say')
    expect((await unknown.socket.closed()).code).toBe(NO_STATUS)
    const malformed = await consoleSays(status, 'not json')
    expect(malformed.reply).toBe('not a valid command: send {"method":"status|reload|stop|say"} or a JSON-RPC 2.0 request')
    expect((await malformed.socket.closed()).code).toBe(NO_STATUS)
  })

  it('reload, then stop (last: it stops the daemon)', async () => {
    const { status } = daemon()
    const reload = await consoleSays(status, { method: 'reload' })
    expect(reload.reply).toBe('reloading the workers')
    expect((await reload.socket.closed()).code).toBe(NO_STATUS)
    const c = await client(status, 'u1')
    const stop = await consoleSays(status, { method: 'stop' })
    expect(stop.reply).toBe('stopping the server')
    expect((await stop.socket.closed()).code).toBe(NO_STATUS)
    expect(await c.closed()).toEqual({ code: 1001, reason: 'server shutting down' })
    expect(await waitForExit(status.pid, 10_000)).toBe(true)
  })
})
