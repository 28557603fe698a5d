import { stat } from 'node:fs/promises'
import net from 'node:net'
import { once } from 'node:events'
import { describe, expect, it } from 'vitest'
import type { StopOutcome } from '../../src/lifecycle/stop.js'
import { useProjects, cli, cliJson, startDaemon } from '../helpers/cli.js'
import { processesMentioning, readLogLines, type Project } from '../helpers/project.js'
import { mintToken } from '../helpers/client.js'
import { closed, clientUrl, connect } from '../helpers/ws-client.js'

const project = useProjects()

async function expectGone(p: Project): Promise<void> {
  expect(await processesMentioning(p.root)).toEqual([])
  await expect(stat(p.pidFile)).rejects.toMatchObject({ code: 'ENOENT' })
  await expect(stat(p.socket)).rejects.toMatchObject({ code: 'ENOENT' })
}

describe('mswoole stop', () => {
  it('closes every client with 1001, then leaves no process, pid file or socket', async () => {
    const p = await project()
    const status = await startDaemon(p)
    const clients = await Promise.all([1, 2, 3].map(async () => connect(await clientUrl(status.outside.port))))
    const closes = clients.map(closed)

    const { exitCode, json } = await cliJson<StopOutcome>(p, ['stop'])
    expect(exitCode).toBe(0)
    expect(json).toMatchObject({
      wasRunning: true,
      pid: status.pid,
      killed: false,
      result: { closedConnections: 3, forced: 0, abortedInFlight: 0 },
    })
    for (const close of await Promise.all(closes)) expect(close.code).toBe(1001)
    await expectGone(p)

    // The log was flushed: its last line is the stop, with what it closed.
    const last = (await readLogLines(p)).at(-1)
    expect(last).toMatchObject({ msg: 'stopped', closedConnections: 3 })
  })

  it('says so and exits 0 when nothing runs', async () => {
    const p = await project()
    const result = await cli(p, ['stop'])
    expect(result.exitCode).toBe(0)
    expect(result.stdout).toContain('not running')
  })

  it('forces clients that never finish the close handshake once --timeout passes', async () => {
    const p = await project()
    const status = await startDaemon(p)
    // A raw client that completes the upgrade and then never answers a close frame.
    const raw = net.connect(status.outside.port, '127.0.0.1')
    await once(raw, 'connect')
    raw.write(
      `GET /?auth=${await mintToken({ id: 1, type: 'wall', code: 'r' })} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    )
    const [response] = (await once(raw, 'data')) as [Buffer]
    expect(response.toString()).toContain('101 Switching Protocols')
    raw.on('data', () => undefined)
    raw.on('error', () => undefined)

    const { exitCode, json } = await cliJson<StopOutcome>(p, ['stop', '--timeout', '1'])
    expect(exitCode).toBe(0)
    expect(json).toMatchObject({ wasRunning: true, killed: false, result: { closedConnections: 1, forced: 1 } })
    await expectGone(p)
    raw.destroy()
  })

  it('kills a daemon that does not answer within --timeout and cleans up after it', async () => {
    const p = await project()
    const status = await startDaemon(p)
    process.kill(status.pid, 'SIGSTOP')
    const { exitCode, json } = await cliJson<StopOutcome>(p, ['stop', '--timeout', '1'])
    expect(exitCode).toBe(0)
    expect(json).toMatchObject({ wasRunning: true, pid: status.pid, killed: true })
    await expectGone(p)
  })
})
