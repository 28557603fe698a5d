import { readFile, rm, stat } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { isProcessAlive } from '../../src/daemon/runtime/process-alive.js'
import { cli, cliJson, startDaemon, useProjects } from '../helpers/cli.js'
import { mintToken, TestClient } from '../helpers/client.js'
import { processesMentioning } from '../helpers/project.js'
import { freePort } from '../helpers/redis-server.js'
import { waitForExit } from '../../src/lifecycle/wait-exit.js'

const project = useProjects()

async function open(port: number, id: number): Promise<TestClient> {
  return TestClient.connect(`ws://127.0.0.1:${port}/?auth=${await mintToken({ id, type: 'wechatUser', code: 'room1' })}`)
}

describe('the control socket deleted while the daemon runs', () => {
  it('keeps serving clients, and a second start fails clearly and leaves the first running', async () => {
    const p = await project({
      outside: { host: '127.0.0.1', port: await freePort() },
      manager: { host: '127.0.0.1', port: await freePort() },
    })
    const first = await startDaemon(p)
    const before = await open(first.outside.port, 1)
    expect(await before.ask({ method: 'index.index.index' }, 'success')).toMatchObject({ status: 200 })

    await rm(p.socket)

    // A connection made before, and one made after, are both served.
    expect(await before.ask({ method: 'index.index.index' }, 'success')).toMatchObject({ status: 200 })
    const after = await open(first.outside.port, 2)
    expect(await after.ask({ method: 'index.index.index' }, 'success')).toMatchObject({ status: 200 })
    const health = await fetch(`http://127.0.0.1:${first.manager.port}/healthz`)
    expect(await health.json()).toMatchObject({ status: 'ok', connections: 2 })

    // A second start must not run a second daemon beside the first.
    const second = await cli(p, ['start'])
    expect(second.exitCode).toBe(1)
    expect(second.stderr.trim().split('\n')).toHaveLength(1)
    expect(second.stderr).toContain('MSW_ERR_ALREADY_RUNNING')
    expect(second.stderr).toContain(String(first.pid))
    expect(await processesMentioning(p.root)).toEqual([first.pid])
    expect(isProcessAlive(first.pid)).toBe(true)
    expect(Number((await readFile(p.pidFile, 'utf8')).trim())).toBe(first.pid)
    await expect(stat(p.socket)).rejects.toMatchObject({ code: 'ENOENT' })

    // And the first still serves its clients after the refused start.
    expect(await before.ask({ method: 'index.index.index' }, 'success')).toMatchObject({ status: 200 })
    expect(await after.ask({ method: 'index.index.index' }, 'success')).toMatchObject({ status: 200 })

    // Without its socket, stop still ends it gracefully (SIGTERM): the clients get 1001, nothing is killed.
    const stopped = await cliJson<{ killed: boolean }>(p, ['stop', '--timeout', '5'])
    expect(stopped.exitCode, stopped.stderr).toBe(0)
    expect(stopped.json).toMatchObject({ killed: false })
    expect(await Promise.all([before.closed(), after.closed()])).toEqual([
      { code: 1001, reason: 'server shutting down' },
      { code: 1001, reason: 'server shutting down' },
    ])
    expect(await waitForExit(first.pid, 5000)).toBe(true)
  })
})
