import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { waitForExit } from '../../../src/lifecycle/wait-exit.js'
import { withDaemon } from '../../../src/ipc/client.js'
import type { StatusResult } from '../../../src/ipc/methods.js'
import { cleanupProject, startDaemon, useProjects } from '../../helpers/cli.js'
import { mintToken, TestClient } from '../../helpers/client.js'
import { poll } from '../../helpers/poll.js'
import { makeProject, type Project } from '../../helpers/project.js'
import { managerOf, nextJson } from './manager-http.js'

const project = useProjects()

// One daemon for the commands that leave it running; stop gets its own.
let shared: Project
let started: StatusResult
beforeAll(async () => {
  shared = await makeProject()
  started = await startDaemon(shared)
})
afterAll(() => cleanupProject(shared))

/** What MSwoole-ws's `php console.php -s …` does: connect to / on the manager port, send, read the first frame. */
async function consoleSays(status: StatusResult, message: unknown): Promise<{ reply: string; socket: TestClient }> {
  const socket = await TestClient.connect(`${managerOf(status).ws}/`)
  socket.send(message)
  return { reply: await socket.nextFrame(), socket }
}

async function client(status: StatusResult, id: string, code: string): Promise<TestClient> {
  return TestClient.connect(`ws://127.0.0.1:${status.outside.port}/?auth=${await mintToken({ id, type: 'wechatUser', code })}`)
}

describe("the seed's console on the manager port (empty key, loopback)", () => {
  it('say: every client gets the serverBroadcast envelope, and the console how many', async () => {
    // Clients of other tests may still be closing: wait until none is left, so exactly these two are connected.
    const idle = await poll(() => withDaemon(shared.socket, (c) => c.call('status', {})), (status) => status.connections === 0)
    expect(idle.connections).toBe(0)
    const a = await client(started, 'u1', 'hall-a')
    const b = await client(started, 'u2', 'hall-b')
    const { reply, socket } = await consoleSays(started, { method: 'say', say: 'doors open at 8' })
    expect(reply).toBe('said to 2 connections')
    for (const c of [a, b]) {
      expect(await c.next('serverBroadcast')).toEqual({ status: 200, event: 'serverBroadcast', info: 'server broadcast', param: 'doors open at 8' })
    }
    socket.close()
    a.close()
    b.close()
  })

  it('status: connections, master pid and memory, in plain text', async () => {
    const c = await client(started, 'u1', 'hall')
    const { reply, socket } = await consoleSays(started, { method: 'status' })
    // Clients of the test before may still be closing: at least this one is counted.
    expect(Number(/^connections: (\d+)$/m.exec(reply)?.[1])).toBeGreaterThanOrEqual(1)
    expect(reply).toContain(`master pid: ${started.pid}`)
    expect(reply).toMatch(/memory: \d+(\.\d+)? MB/)
    socket.close()
    c.close()
  })

  it('reload: says so, then reloads the workers', async () => {
    const follower = await TestClient.connect(`${managerOf(started).ws}/`)
    follower.send({ jsonrpc: '2.0', id: 1, method: 'logs.tail', params: { lines: 0, follow: true } })
    await nextJson(follower, (m: { id?: number }) => m.id === 1)
    const { reply, socket } = await consoleSays(started, { method: 'reload' })
    expect(reply).toMatch(/reload/)
    await nextJson(follower, (m: { method?: string; params?: { line: string } }) => m.method === 'logs.line' && m.params!.line.includes('reload: done'))
    follower.send({ jsonrpc: '2.0', id: 2, method: 'status' })
    const { result } = await nextJson<{ id?: number; result: StatusResult }>(follower, (m) => m.id === 2)
    expect(result.generation).toBeGreaterThan(started.generation)
    socket.close()
    follower.close()
  })

  it('stop: says so, then stops the daemon gracefully', async () => {
    const own = await startDaemon(await project())
    const c = await client(own, 'u1', 'hall')
    const { reply, socket } = await consoleSays(own, { method: 'stop' })
    expect(reply).toMatch(/stop/)
    expect(await c.closed()).toEqual({ code: 1001, reason: 'server shutting down' })
    expect((await socket.closed()).code).toBe(1001)
    expect(await waitForExit(own.pid, 10_000)).toBe(true)
  })

  it('answers a message that is no command, then closes, as the seed did', async () => {
    for (const message of ['not json', '{}', '[]x', '42', '{"say":"no method"}']) {
      const { reply, socket } = await consoleSays(started, message)
      expect(reply, message).toMatch(/not a valid command/)
      expect((await socket.closed()).code, message).toBe(1008)
    }
  })

  it('lists the valid commands for an unknown one, and stays open', async () => {
    const { reply, socket } = await consoleSays(started, { method: 'restart' })
    expect(reply).toBe('unknown command "restart"; valid commands: status, reload, stop, say')
    socket.send({ method: 'status' })
    expect(await socket.nextFrame()).toContain(`master pid: ${started.pid}`)
    socket.close()
  })
})
