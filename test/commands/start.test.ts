import { readFile, stat } from 'node:fs/promises'
import { createServer, type Server } from 'node:net'
import { once } from 'node:events'
import { describe, expect, it } from 'vitest'
import type { StatusResult } from '../../src/ipc/methods.js'
import { execa } from 'execa'
import { BIN, useProjects, cli, cliJson, startDaemon } from '../helpers/cli.js'
import { processesMentioning } from '../helpers/project.js'
import { closed, clientUrl, connect } from '../helpers/ws-client.js'

const project = useProjects()

describe('mswoole start', () => {
  it('starts a detached daemon that binds both ports and owns its runtime files', async () => {
    const p = await project()
    const status = await startDaemon(p)
    expect(status.running).toBe(true)
    expect(status.pid).toBeGreaterThan(0)
    expect(status.outside.port).toBeGreaterThan(0)
    expect(status.manager.port).toBeGreaterThan(0)
    expect(status.logFile).toBe(p.logFile)

    expect((await stat(p.runtime)).mode & 0o777).toBe(0o700)
    expect((await stat(p.socket)).mode & 0o777).toBe(0o600)
    expect((await stat(p.socket)).isSocket()).toBe(true)
    expect(Number((await readFile(p.pidFile, 'utf8')).trim())).toBe(status.pid)

    // The outside port takes WebSocket upgrades; the manager port answers health checks.
    const ws = await connect(await clientUrl(status.outside.port))
    ws.close()
    await closed(ws)
    const health = await fetch(`http://127.0.0.1:${status.manager.port}/healthz`)
    expect(health.status).toBe(200)
  })

  it('prints the pid, the addresses and the log file for people', async () => {
    const p = await project()
    const result = await cli(p, ['start'])
    expect(result.exitCode).toBe(0)
    const { json } = await cliJson<StatusResult>(p, ['status'])
    expect(result.stdout).toContain(String(json.pid))
    expect(result.stdout).toContain(`ws://127.0.0.1:${json.outside.port}`)
    expect(result.stdout).toContain(`http://127.0.0.1:${json.manager.port}`)
    expect(result.stdout).toContain(p.logFile)
  })

  it('refuses a second start while a daemon runs', async () => {
    const p = await project()
    const first = await startDaemon(p)
    const second = await cli(p, ['start'])
    expect(second.exitCode).toBe(1)
    expect(second.stderr).toContain('MSW_ERR_ALREADY_RUNNING')
    expect(second.stderr).toContain(String(first.pid))
    expect(await processesMentioning(p.root)).toEqual([first.pid])
  })

  it("fails on a port already in use with the daemon's error and leaves nothing behind", async () => {
    const blocker: Server = createServer()
    blocker.listen(0, '127.0.0.1')
    await once(blocker, 'listening')
    const port = (blocker.address() as { port: number }).port
    try {
      const p = await project({ outside: { host: '127.0.0.1', port } })
      const result = await cli(p, ['start'])
      expect(result.exitCode).toBe(1)
      expect(result.stderr.trim().split('\n')).toHaveLength(1)
      expect(result.stderr).toContain('MSW_ERR_PORT_IN_USE')
      expect(result.stderr).toContain(`127.0.0.1:${port}`)
      expect(await processesMentioning(p.root)).toEqual([])
      await expect(stat(p.pidFile)).rejects.toMatchObject({ code: 'ENOENT' })
      await expect(stat(p.socket)).rejects.toMatchObject({ code: 'ENOENT' })
      expect((await cli(p, ['status'])).exitCode).toBe(3)
    } finally {
      blocker.close()
    }
  })

  it('fails on a bad config naming the file, the key and the problem', async () => {
    const p = await project({ setting: { worker_num: 'two' } })
    const result = await cli(p, ['start'])
    expect(result.exitCode).toBe(1)
    expect(result.stderr).toMatch(/app\.json: setting\.worker_num: expected an integer/)
    expect(result.stderr).toContain('MSW_ERR_CONFIG_INVALID')
    expect(await processesMentioning(p.root)).toEqual([])
  })

  it('refuses unknown keys so typos are caught', async () => {
    const p = await project({ outside: { host: '127.0.0.1', port: 0, prot: 1 } })
    const result = await cliJson<{ error: { code: string; message: string } }>(p, ['start'])
    expect(result.exitCode).toBe(1)
    expect(result.json.error.code).toBe('MSW_ERR_CONFIG_INVALID')
    expect(result.json.error.message).toContain('outside.prot')
  })

  it('takes overrides from the environment and the folder from MSWOOLE_CONFIG', async () => {
    const p = await project()
    const free = createServer()
    free.listen(0, '127.0.0.1')
    await once(free, 'listening')
    const port = (free.address() as { port: number }).port
    await new Promise((resolve) => free.close(resolve))
    const status = await startDaemon(p, { env: { MSWOOLE_OUTSIDE_PORT: String(port) } })
    expect(status.outside.port).toBe(port)

    // No -c at all: MSWOOLE_CONFIG names the folder.
    const viaEnv = await execa(process.execPath, [BIN, 'status', '--json'], { env: { MSWOOLE_CONFIG: p.configDir }, reject: false })
    expect(viaEnv.exitCode).toBe(0)
    expect(JSON.parse(String(viaEnv.stdout)).pid).toBe(status.pid)
  })

  it('makes exactly one daemon when two starts race', async () => {
    const p = await project()
    const [a, b] = await Promise.all([cli(p, ['start', '--json']), cli(p, ['start', '--json'])])
    const codes = [a.exitCode, b.exitCode].sort()
    expect(codes).toEqual([0, 1])
    const loser = a.exitCode === 1 ? a : b
    expect(loser.stderr).toContain('MSW_ERR_ALREADY_RUNNING')
    const winner = JSON.parse((a.exitCode === 0 ? a : b).stdout) as StatusResult
    expect(await processesMentioning(p.root)).toEqual([winner.pid])
  })
})
