import { describe, expect, it } from 'vitest'
import { withDaemon } from '../../src/ipc/client.js'
import { waitForExit } from '../../src/lifecycle/wait-exit.js'
import type { StatusResult } from '../../src/contracts/control-api.js'
import { useSharedDaemon } from '../helpers/cli.js'
import { mintToken, TestClient } from '../helpers/client.js'
import { poll } from '../helpers/poll.js'
import { managerOf, nextJson } from '../daemon/manager/manager-http.js'
import { SwooleClient, type RawFrame } from './swoole-client.js'

/**
 * MSwoole-ws's `php console.php -s status|reload|stop|say` against the manager
 * port, on the wire: Swoole's upgrade and unmasked frames in, and out exactly
 * what MSwoole/Manager.php pushed (its texts as raw UTF-8 text frames; say's
 * envelope as json_encode wrote it), then the connection closed.
 * The expected bytes are written out here from the PHP, not built by mswoole's code.
 */

const TEXT = 0x1

/** Manager.php's texts, as PHP source literals. */
const PHP = {
  malformed: '格式不符合规范',
  invalid: '指令无效',
  reload: '服务即将重启',
  stop: '服务即将关闭',
}

const daemon = useSharedDaemon()

async function outsideClient(status: StatusResult, id: string): Promise<TestClient> {
  const token = await mintToken({ id, type: 'wechatUser', code: 'hall' })
  return TestClient.connect(`ws://127.0.0.1:${status.outside.port}/?auth=${token}`)
}

/** `php console.php -s …`: connect, push the JSON, and the first frame back. */
async function consoleSays(status: StatusResult, message: string): Promise<{ client: SwooleClient; reply: RawFrame }> {
  const client = await SwooleClient.connect(status.manager.port)
  client.push(message)
  return { client, reply: await client.nextFrame() }
}

/** A text frame from the server (FIN, no mask) holding exactly these bytes. */
function expectText(frame: RawFrame, payload: Buffer): void {
  expect({ fin: frame.fin, opcode: frame.opcode, masked: frame.masked }).toEqual({ fin: true, opcode: TEXT, masked: false })
  expect(frame.payload.toString('hex')).toBe(payload.toString('hex'))
}

/** Then a close frame (no status code) and the server's FIN, nothing after; the console then exits. */
async function expectClosed(client: SwooleClient): Promise<void> {
  const close = await client.nextFrame()
  expect(close.bytes.toString('hex')).toBe('8800')
  await client.serverEnded()
  await client.close()
}

describe("the seed's console on the manager port, byte for byte", () => {
  // First in the file: on a fresh daemon the manager has no other socket than the console's.
  it('status: connections (both ports, the console too), master pid and memory, one per line', async () => {
    const { project, status } = daemon()
    const idle = await poll(
      () => withDaemon(project.socket, (c) => c.call('status', {})),
      (s) => s.connections === 0,
    )
    expect(idle.connections).toBe(0)
    const guest = await outsideClient(status, 'u1')
    const one = await poll(
      () => withDaemon(project.socket, (c) => c.call('status', {})),
      (s) => s.connections === 1,
    )
    expect(one.connections).toBe(1)
    const { client, reply } = await consoleSays(status, '{"method":"status"}')
    // round(memory_get_usage()/1024/1024, 2).'MB': digits, at most two decimals, no trailing zero.
    const memory = /\n内存占用量: ((?:0|[1-9]\d*)(?:\.\d?[1-9])?MB)\n$/.exec(reply.payload.toString('utf8'))?.[1]
    expect(memory).toBeDefined()
    expectText(reply, Buffer.from(`当前服务器共有 2 个连接\n主进程PID: ${status.pid}\n内存占用量: ${memory}\n`, 'utf8'))
    await expectClosed(client)
    guest.close()
  })

  it('say: every client gets the serverBroadcast envelope once, with param; the console gets it too', async () => {
    const { status } = daemon()
    const a = await outsideClient(status, 'u1')
    const b = await outsideClient(status, 'u2')
    // json_encode(['status' => 200, 'event' => 'serverBroadcast', 'info' => '收到服务广播内容', 'param' => 'doors open / 八点开门'])
    const said =
      '{"status":200,"event":"serverBroadcast","info":"\\u6536\\u5230\\u670d\\u52a1\\u5e7f\\u64ad\\u5185\\u5bb9","param":"doors open \\/ \\u516b\\u70b9\\u5f00\\u95e8"}'
    const { client, reply } = await consoleSays(status, '{"method":"say","say":"doors open \\/ \\u516b\\u70b9\\u5f00\\u95e8"}')
    expectText(reply, Buffer.from(said, 'ascii'))
    await expectClosed(client)
    for (const c of [a, b]) {
      let frame = await c.nextFrame()
      while (!frame.includes('serverBroadcast')) frame = await c.nextFrame()
      expect(frame).toBe(said)
      c.close()
    }
  })

  it('reload: says so, closes, then reloads the workers', async () => {
    const { status } = daemon()
    const follower = await TestClient.connect(`${managerOf(status).ws}/`)
    follower.send({ jsonrpc: '2.0', id: 1, method: 'logs.tail', params: { lines: 0, follow: true } })
    await nextJson(follower, (m: { id?: number }) => m.id === 1)
    const { client, reply } = await consoleSays(status, '{"method":"reload"}')
    expectText(reply, Buffer.from(PHP.reload, 'utf8'))
    await expectClosed(client)
    await nextJson(
      follower,
      (m: { method?: string; params?: { line: string } }) => m.method === 'logs.line' && m.params!.line.includes('reload: done'),
    )
    follower.send({ jsonrpc: '2.0', id: 2, method: 'status' })
    const { result } = await nextJson<{ id?: number; result: StatusResult }>(follower, (m) => m.id === 2)
    expect(result.generation).toBeGreaterThan(status.generation)
    follower.close()
  })

  it('an unknown method, or one that is no string: 指令无效, then closed', async () => {
    const { status } = daemon()
    // PHP's loose switch ran reload for 0 and true: a bug, not kept.
    for (const message of [
      '{"method":"restart"}',
      '{"method":"Status"}',
      '{"method":5}',
      '{"method":0}',
      '{"method":true}',
      '{"method":["stop"]}',
    ]) {
      const { client, reply } = await consoleSays(status, message)
      expectText(reply, Buffer.from(PHP.invalid, 'utf8'))
      await expectClosed(client)
    }
  })

  it('a message that is no JSON object with a method: 格式不符合规范, then closed', async () => {
    const { status } = daemon()
    for (const message of ['not json', '', '{}', '42', '"status"', '{"say":"no method"}', '{"method":null}']) {
      const { client, reply } = await consoleSays(status, message)
      expectText(reply, Buffer.from(PHP.malformed, 'utf8'))
      await expectClosed(client)
    }
  })

  // Last: it stops the shared daemon.
  it('stop: says so, closes, then stops the daemon gracefully', async () => {
    const { status } = daemon()
    const guest = await outsideClient(status, 'u1')
    const { client, reply } = await consoleSays(status, '{"method":"stop"}')
    expectText(reply, Buffer.from(PHP.stop, 'utf8'))
    await expectClosed(client)
    expect(await guest.closed()).toEqual({ code: 1001, reason: 'server shutting down' })
    expect(await waitForExit(status.pid, 10_000)).toBe(true)
  })
})
