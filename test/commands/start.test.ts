import { mkdir, readFile, stat, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:net'
import { once } from 'node:events'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import type { StartJson } from '../../src/commands/start.js'
import type { StatusResult } from '../../src/contracts/control-api.js'
import { execa } from 'execa'
import { BIN, useProjects, cli, cliJson, startDaemon } from '../helpers/cli.js'
import { processesMentioning, type Project } from '../helpers/project.js'
import { closed, clientUrl, connect } from '../helpers/ws-client.js'

const project = useProjects()

interface ErrorJson {
  error: { code: string; message: string; details?: Record<string, unknown> }
}

/** Points the project at an application of its own, whose one controller runs `body` as it loads. */
async function useAppLoading(p: Project, body: string): Promise<void> {
  const dir = path.join(p.root, 'app')
  await mkdir(path.join(dir, 'Slow', 'Controller'), { recursive: true })
  await writeFile(path.join(dir, 'Slow', 'Controller', 'Slow.ts'), `${body}\nexport default class Slow {\n  ping() {}\n}\n`)
  const file = path.join(p.configDir, 'app.json')
  await writeFile(file, JSON.stringify({ ...JSON.parse(await readFile(file, 'utf8')), app: dir }))
}

/** A port held by this test process for as long as the callback runs. */
async function withPortTaken(run: (port: number) => Promise<void>): Promise<void> {
  const blocker: Server = createServer()
  blocker.listen(0, '127.0.0.1')
  await once(blocker, 'listening')
  try {
    await run((blocker.address() as { port: number }).port)
  } finally {
    blocker.close()
  }
}

describe('mswoole start', () => {
  it('starts a detached daemon that binds both ports and owns its runtime files', async () => {
    const p = await project()
    const status = (await startDaemon(p)) as StartJson
    expect(status.running).toBe(true)
    expect(status.alreadyRunning).toBe(false)
    // The test projects run the manager port in the open mode: the start says so.
    expect(status.warnings).toEqual([
      expect.objectContaining({ key: 'manager.key', message: expect.stringContaining('manager.key is empty') }),
    ])
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

  it('prints the pid, the addresses and the log file for people, and its warnings on stderr', async () => {
    // Port 0 on every interface: the seed's public auth key now guards a port beyond loopback.
    const p = await project({ outside: { host: '0.0.0.0', port: 0 } })
    const result = await cli(p, ['start'])
    expect(result.exitCode).toBe(0)
    const { json } = await cliJson<StatusResult>(p, ['status'])
    expect(result.stdout).toContain(String(json.pid))
    expect(result.stdout).toContain(`ws://0.0.0.0:${json.outside.port}`)
    expect(result.stdout).toContain(`http://127.0.0.1:${json.manager.port}`)
    expect(result.stdout).toContain(p.logFile)
    expect(result.stderr.trim().split('\n')).toEqual([
      'Warning: auth.key is the public default: anyone can mint client tokens; set a long random key of your own',
      'Warning: manager.key is empty: the manager port is open to anyone on this machine',
    ])
  })

  it('finds a daemon already running: a notice on stderr and exit 0, as systemctl start', async () => {
    const p = await project()
    const first = await startDaemon(p)
    const second = await cliJson<StartJson>(p, ['start'])
    expect(second.exitCode).toBe(0)
    expect(second.stderr.trim()).toBe(`mswoole is already running (pid ${first.pid})`)
    expect(second.json).toMatchObject({ running: true, pid: first.pid, alreadyRunning: true, outside: first.outside })
    expect(await processesMentioning(p.root)).toEqual([first.pid])
  })

  it('fails on a port already in use before it loads the application, and leaves nothing behind', async () => {
    await withPortTaken(async (port) => {
      const p = await project({ outside: { host: '127.0.0.1', port } })
      // An application that cannot load: a start that loaded it before binding would fail with MSW_ERR_APP_LOAD.
      await useAppLoading(p, "throw new Error('loaded')")
      const result = await cli(p, ['start'])
      expect(result.exitCode).toBe(1)
      expect(result.stderr.trim()).toBe(`Error: outside port 127.0.0.1:${port} is already in use [MSW_ERR_PORT_IN_USE]`)
      expect(await processesMentioning(p.root)).toEqual([])
      await expect(stat(p.pidFile)).rejects.toMatchObject({ code: 'ENOENT' })
      await expect(stat(p.socket)).rejects.toMatchObject({ code: 'ENOENT' })
      // No daemon was spawned at all: none wrote its log.
      await expect(stat(p.logFile)).rejects.toMatchObject({ code: 'ENOENT' })

      // In the foreground, the daemon's own check fails the same way, before the application loads.
      const foreground = await cli(p, ['start', '--foreground'])
      expect(foreground.exitCode).toBe(1)
      expect(foreground.stderr.trim().split('\n').at(-1)).toBe(
        `Error: outside port 127.0.0.1:${port} is already in use [MSW_ERR_PORT_IN_USE]`,
      )
    })
  })

  it('fails past --timeout with what the daemon wrote, and leaves no process, pid file or start lock', async () => {
    const p = await project()
    // Holds its worker's thread (without spinning a CPU) for longer than the start waits.
    await useAppLoading(p, 'Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60_000)')
    const { exitCode, json, stderr } = await cliJson<ErrorJson>(p, ['start', '--timeout', '1'])
    expect(exitCode).toBe(1)
    expect(json.error.code).toBe('MSW_ERR_START_TIMEOUT')
    expect(stderr.trim().split('\n')).toHaveLength(1)
    expect(stderr).toMatch(/^Error: the daemon did not report ready within 1 s \(.*\); .*\[MSW_ERR_START_TIMEOUT\]$/)
    // The daemon's own words, or plainly that it wrote none: never a pointer to an empty file.
    expect(stderr).not.toContain('see ')
    expect(json.error.details).toMatchObject({ logFile: p.logFile, daemonOut: expect.any(Array), log: expect.any(Array) })
    expect(await processesMentioning(p.root)).toEqual([])
    for (const file of [p.pidFile, p.socket, path.join(p.runtime, 'mswoole.lock')]) {
      await expect(stat(file), file).rejects.toMatchObject({ code: 'ENOENT' })
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

  it('makes exactly one daemon when two starts race, and both say it runs', async () => {
    const p = await project()
    const [a, b] = await Promise.all([cliJson<StartJson>(p, ['start']), cliJson<StartJson>(p, ['start'])])
    expect([a.exitCode, b.exitCode]).toEqual([0, 0])
    expect([a.json.alreadyRunning, b.json.alreadyRunning].sort()).toEqual([false, true])
    expect(a.json.pid).toBe(b.json.pid)
    expect(await processesMentioning(p.root)).toEqual([a.json.pid])
  })
})
