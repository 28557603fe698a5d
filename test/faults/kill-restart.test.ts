import { describe, expect, it } from 'vitest'
import type { ConnectionsListResult } from '../../src/contracts/control-api.js'
import { waitForExit } from '../../src/lifecycle/wait-exit.js'
import { cliJson, startDaemon, useProjects } from '../helpers/cli.js'
import { mintToken, TestClient } from '../helpers/client.js'
import { closedLoop } from '../helpers/closed-loop.js'
import { poll, within } from '../helpers/poll.js'
import { readLogLines } from '../helpers/project.js'

const project = useProjects()

const INDEX = { method: 'index.index.index' }

async function open(port: number, id: number): Promise<TestClient> {
  return TestClient.connect(`ws://127.0.0.1:${port}/?auth=${await mintToken({ id, type: 'wechatUser', code: 'room1' })}`)
}

describe('kill -9 while clients exchange messages, then start again', () => {
  it('drops the old clients, purges the stale files and serves only new connections', async () => {
    // Closed-loop clients outrun the default per-connection message rate (50/s): lift it.
    const p = await project({ setting: { max_messages_per_second: 1_000_000 } })
    const first = await startDaemon(p)
    const old = await Promise.all([1, 2, 3].map((id) => open(first.outside.port, id)))
    const loops = old.map((client) => closedLoop(client, INDEX, 'success'))
    // Every loop has had answers before the kill, so the kill lands mid-exchange.
    await poll(
      async () => loops.map((loop) => loop.answered),
      (answered) => answered.every((n) => n >= 5),
    )
    expect(loops.every((loop) => loop.answered >= 5)).toBe(true)

    process.kill(first.pid, 'SIGKILL')
    expect(await waitForExit(first.pid, 10_000)).toBe(true)

    // The kernel closed their sockets: each old client sees its connection drop.
    const closes = await within(Promise.all(old.map((client) => client.closed())), 10_000, 'old clients closing')
    for (const close of closes) expect(close.code).toBe(1006)
    await within(Promise.all(loops.map((loop) => loop.done)), 10_000, 'old loops ending')
    // Each loop ended because its connection closed, not on a wrong reply.
    for (const loop of loops) expect(loop.error?.message).toBe('connection closed while waiting for a frame')

    const second = await startDaemon(p)
    expect(second.pid).not.toBe(first.pid)
    const warn = (await readLogLines(p)).find((line) => line.msg === 'removed the pid file and socket of a daemon that died')
    expect(warn).toMatchObject({ level: 'warn', stalePid: first.pid, pid: second.pid })

    const fresh = await Promise.all([11, 12].map((id) => open(second.outside.port, id)))
    for (const client of fresh) {
      const reply = await client.ask(INDEX, 'success')
      expect(reply).toMatchObject({ status: 200, event: 'success' })
    }

    const { exitCode, json, stderr } = await cliJson<ConnectionsListResult>(p, ['conn', 'ls'])
    expect(exitCode, stderr).toBe(0)
    expect(json.total).toBe(2)
    expect(json.connections.map((c) => c.id).sort()).toEqual([11, 12])
    for (const client of fresh) client.close()
    await Promise.all(fresh.map((client) => client.closed()))
  })
})
