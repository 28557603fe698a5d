import { existsSync, statSync } from 'node:fs'
import { readFile, readdir, readlink, rename } from 'node:fs/promises'
import path from 'node:path'
import { execa } from 'execa'
import { describe, expect, it } from 'vitest'
import type { StatusResult } from '../../src/contracts/control-api.js'
import { BIN, cliJson, useProjects, useSharedDaemon } from '../helpers/cli.js'
import { RawControl } from '../helpers/raw-control.js'
import { LineCollector } from '../helpers/lines.js'
import { poll } from '../helpers/poll.js'
import type { Project } from '../helpers/project.js'

/**
 * Without handlers of its own, SIGUSR1 makes Node open its inspector on
 * 127.0.0.1:9229 (code execution for any local user) and SIGUSR2 ends the
 * process silently. The daemon handles both: USR1 reopens the log file,
 * USR2 logs a status snapshot.
 */

/** How long a signal's effect may take to show; a miss fails with what was seen. */
const SIGNAL_DEADLINE_MS = 5000

/** TCP ports `pid` listens on: LISTEN sockets of /proc/net/tcp{,6} whose inode is one of its descriptors. */
async function listeningPorts(pid: number): Promise<number[]> {
  const inodes = new Set<string>()
  for (const fd of await readdir(`/proc/${pid}/fd`)) {
    const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '')
    const match = /^socket:\[(\d+)\]$/.exec(target)
    if (match) inodes.add(match[1] as string)
  }
  const ports: number[] = []
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const rows = (await readFile(table, 'utf8').catch(() => '')).split('\n').slice(1)
    for (const row of rows) {
      const fields = row.trim().split(/\s+/)
      // local_address is hex ip:port; st 0A is LISTEN; the inode is the tenth field.
      if (fields[3] === '0A' && inodes.has(fields[9] ?? '')) ports.push(parseInt((fields[1] ?? '').split(':')[1] ?? '', 16))
    }
  }
  return ports.sort((a, b) => a - b)
}

const logText = (p: Project) => readFile(p.logFile, 'utf8').catch(() => '')
const daemonOut = (p: Project) => readFile(path.join(path.dirname(p.logFile), 'daemon.out'), 'utf8').catch(() => '')
const count = (text: string, msg: string) => text.split('\n').filter((line) => line.includes(`"msg":"${msg}"`)).length

interface AfterSignal {
  extraPorts: number[]
  debugger: boolean
  done: boolean
}

/**
 * Sends `signal` and waits until the daemon shows it was handled (`done`) or shows the
 * inspector (an extra listening port, or Node's "Debugger listening" on its stderr).
 */
async function signalAndWatch(
  pid: number,
  ports: number[],
  signal: NodeJS.Signals,
  done: () => Promise<boolean>,
  stderr: () => Promise<string> | string,
): Promise<AfterSignal> {
  process.kill(pid, signal)
  return poll(
    async () => ({
      extraPorts: existsSync(`/proc/${pid}`) ? (await listeningPorts(pid)).filter((port) => !ports.includes(port)) : [],
      debugger: (await stderr()).includes('Debugger listening'),
      done: await done(),
    }),
    (seen) => seen.done || seen.debugger || seen.extraPorts.length > 0,
    SIGNAL_DEADLINE_MS,
  )
}

describe('signals to the daemon', () => {
  const shared = useSharedDaemon()

  it('SIGUSR1 opens no inspector: it reopens the log file', async () => {
    const { project: p, status } = shared()
    const ports = [status.outside.port, status.manager.port].sort((a, b) => a - b)
    expect(await listeningPorts(status.pid)).toEqual(ports)
    const before = count(await logText(p), 'log file reopened')

    const seen = await signalAndWatch(
      status.pid,
      ports,
      'SIGUSR1',
      async () => count(await logText(p), 'log file reopened') > before,
      () => daemonOut(p),
    )
    expect(seen).toEqual({ extraPorts: [], debugger: false, done: true })
    // Nothing on Node's default inspector port, whoever might have opened it.
    expect(await listeningPorts(status.pid)).toEqual(ports)
    await expect(fetch('http://127.0.0.1:9229/json/list', { signal: AbortSignal.timeout(2000) })).rejects.toThrow()

    const { exitCode, json } = await cliJson<StatusResult>(p, ['status'])
    expect(exitCode).toBe(0)
    expect(json).toMatchObject({ running: true, pid: status.pid })
  })

  it('SIGUSR1 after logrotate moved the file: the next lines land in a new file of that name', async () => {
    const { project: p, status } = shared()
    const moved = `${p.logFile}.moved`
    const reopenedBefore = count(await logText(p), 'log file reopened')
    await rename(p.logFile, moved)
    expect(existsSync(p.logFile)).toBe(false)

    process.kill(status.pid, 'SIGUSR1')
    const fresh = await poll(
      () => logText(p),
      (text) => count(text, 'log file reopened') > 0,
      SIGNAL_DEADLINE_MS,
    )
    expect(count(fresh, 'log file reopened')).toBe(1)
    // Created private, as the first one was.
    expect(statSync(p.logFile).mode & 0o777).toBe(0o600)

    // Later lines go to the new file too, none to the moved one.
    process.kill(status.pid, 'SIGUSR2')
    const later = await poll(
      () => logText(p),
      (text) => count(text, 'status snapshot') > 0,
      SIGNAL_DEADLINE_MS,
    )
    expect(count(later, 'status snapshot')).toBe(1)
    const old = await readFile(moved, 'utf8')
    expect(old).toContain('"msg":"mswoole started"')
    expect(count(old, 'log file reopened')).toBe(reopenedBefore)
    expect(count(old, 'status snapshot')).toBe(0)
  })

  it('SIGUSR2 writes a status snapshot and never stops the daemon', async () => {
    const { project: p, status } = shared()
    const ports = [status.outside.port, status.manager.port].sort((a, b) => a - b)
    const before = count(await logText(p), 'status snapshot')

    const seen = await signalAndWatch(
      status.pid,
      ports,
      'SIGUSR2',
      async () => count(await logText(p), 'status snapshot') > before,
      () => daemonOut(p),
    )
    expect(seen.done).toBe(true)
    const snapshot = (await logText(p))
      .split('\n')
      .filter((line) => line.includes('"msg":"status snapshot"'))
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .at(-1)
    expect(snapshot).toMatchObject({ level: 'info', signal: 'SIGUSR2', state: 'running', connections: 0, generation: 1, pid: status.pid })
    expect(snapshot?.uptime).toEqual(expect.any(Number))
    expect(snapshot?.memory).toMatchObject({ rss: expect.any(Number), heapUsed: expect.any(Number) })
    expect(snapshot?.workers).toEqual([expect.objectContaining({ id: 0, memory: expect.any(Number) })])

    // Alive, with its pid file and socket, and answering.
    expect(existsSync(p.pidFile)).toBe(true)
    expect(existsSync(p.socket)).toBe(true)
    const { exitCode, json } = await cliJson<StatusResult>(p, ['status'])
    expect(exitCode).toBe(0)
    expect(json).toMatchObject({ running: true, state: 'running', pid: status.pid })
  })

  it('debug.gc answers MSW_ERR_DEBUG_DISABLED in a daemon started without --expose-gc', async () => {
    const control = await RawControl.connect(shared().project.socket)
    expect(await control.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'debug.gc' }))).toMatchObject({
      id: 1,
      error: { data: { code: 'MSW_ERR_DEBUG_DISABLED' } },
    })
    control.close()
  })
})

describe('a forced garbage collection for benchmarks, instead of the inspector', () => {
  const project = useProjects()

  it('start --expose-gc: debug.gc collects the master heap and answers what is left', async () => {
    const p = await project()
    const started = await cliJson<StatusResult>(p, ['start', '--expose-gc'])
    expect(started.exitCode, started.stderr).toBe(0)
    const control = await RawControl.connect(p.socket)
    const answer = (await control.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'debug.gc' }))) as {
      result: { heapUsedBefore: number; heapUsed: number }
    }
    expect(answer.result).toMatchObject({ heapUsedBefore: expect.any(Number), heapUsed: expect.any(Number) })
    expect(answer.result.heapUsed).toBeGreaterThan(0)
    control.close()
  })
})

describe('signals to a daemon run with start --foreground', () => {
  const project = useProjects()

  it('SIGUSR1 opens no inspector in the CLI process that runs it; SIGUSR2 does not end it', async () => {
    const p = await project()
    const child = execa(process.execPath, [BIN, 'start', '--foreground', '-c', p.configDir], { reject: false, stdin: 'ignore' })
    const out = new LineCollector(child.stdout, 'mswoole start --foreground')
    const err = new LineCollector(child.stderr, 'mswoole start --foreground (stderr)')
    const started = await out.waitForJson<{ msg: string; pid: number; outside: { port: number }; manager: { port: number } }>(
      (line) => line.msg === 'mswoole started',
    )
    const ports = [started.outside.port, started.manager.port].sort((a, b) => a - b)
    const stdoutHas = (msg: string) => out.lines.some((line) => line.includes(`"msg":"${msg}"`))

    const usr1 = await signalAndWatch(
      started.pid,
      ports,
      'SIGUSR1',
      async () => stdoutHas('log file reopened'),
      () => err.lines.join('\n'),
    )
    expect(usr1).toEqual({ extraPorts: [], debugger: false, done: true })
    const usr2 = await signalAndWatch(
      started.pid,
      ports,
      'SIGUSR2',
      async () => stdoutHas('status snapshot'),
      () => err.lines.join('\n'),
    )
    expect(usr2).toEqual({ extraPorts: [], debugger: false, done: true })
    expect(child.exitCode).toBe(null)

    child.kill('SIGTERM')
    expect((await child).exitCode).toBe(0)
  })
})
