import { readdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { execa } from 'execa'
import { describe, expect, it } from 'vitest'
import type { StatusResult } from '../../src/contracts/control-api.js'
import { LOG_LEVELS, type LogLevelName } from '../../src/config/log-levels.js'
import { waitForExit } from '../../src/lifecycle/wait-exit.js'
import { BIN, useProjects, useSharedDaemon, cli, startDaemon } from '../helpers/cli.js'
import { LineCollector } from '../helpers/lines.js'
import { onTerminal, terminalText } from '../helpers/terminal.js'
import { closed, clientUrl, connect } from '../helpers/ws-client.js'
import { topLevelKeys } from '../logs/top-level-keys.js'

const project = useProjects()

const rank = (level: LogLevelName) => LOG_LEVELS.indexOf(level)
/** The head of a printed line: the time, to the millisecond, and the level padded to five. */
const PRINTED = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} (TRACE|DEBUG|INFO |WARN |ERROR|FATAL) \S/

/** The fds of the 'connection open' lines kept in the log and its rotated files, oldest first; every line must be whole JSON. */
async function openedFds(logDir: string, maxFiles: number): Promise<number[]> {
  const fds: number[] = []
  const names = [...Array.from({ length: maxFiles }, (_, i) => `mswoole.log.${maxFiles - i}`), 'mswoole.log']
  for (const name of names) {
    const text = await readFile(path.join(logDir, name), 'utf8').catch(() => undefined)
    if (text === undefined) continue
    expect(text.endsWith('\n'), `${name} ends inside a line`).toBe(true)
    for (const line of text.split('\n').slice(0, -1)) {
      const entry = JSON.parse(line) as { msg: string; fd?: number }
      if (entry.msg === 'connection open') fds.push(entry.fd as number)
    }
  }
  return fds
}

/** An unbroken run of fds ending with `last`: no line was lost at a rotation. */
function expectUnbrokenRunTo(fds: number[], last: number): void {
  expect(fds.at(-1)).toBe(last)
  expect(fds).toEqual(fds.map((_, i) => last - fds.length + 1 + i))
}

async function fileLines(file: string): Promise<string[]> {
  return (await readFile(file, 'utf8')).split('\n').filter((line) => line.length > 0)
}

/** Opens and closes one WebSocket; at level debug the daemon logs 'connection open'. */
async function touch(status: StatusResult): Promise<void> {
  const ws = await connect(await clientUrl(status.outside.port))
  const done = closed(ws)
  ws.close()
  await done
}

describe('mswoole logs, from a running daemon', () => {
  // One daemon at level debug for both tests: neither stops it, and a tail request logs nothing,
  // so neither changes what the other reads.
  const daemon = useSharedDaemon({ log: { level: 'debug' } })

  it('-n 2 --json prints exactly the last two lines of the log file, untouched', async () => {
    const { project: p, status } = daemon()
    await touch(status)
    await touch(status)

    const result = await cli(p, ['logs', '-n', '2', '--json'])
    expect(result.exitCode).toBe(0)
    // The daemon flushed its log before answering, and logs nothing for a tail request.
    const all = await fileLines(p.logFile)
    expect(all.length).toBeGreaterThan(2)
    expect(result.stdout.split('\n').filter((line) => line.length > 0)).toEqual(all.slice(-2))
  })

  it('writes JSON lines that name their level and never repeat a key', async () => {
    const { project: p } = daemon()
    const lines = await fileLines(p.logFile)
    expect(lines.some((line) => line.includes('"msg":"mswoole started"'))).toBe(true)
    for (const line of lines) {
      const keys = topLevelKeys(line)
      expect(keys, line).toEqual([...new Set(keys)])
      expect(LOG_LEVELS, line).toContain((JSON.parse(line) as { level: unknown }).level)
    }
  })

  it('prints one line per event for people, with no colour off a terminal, and the numbered levels of older files', async () => {
    const { project: p } = daemon()
    // A rotated file from an earlier version, which numbered its levels: read when the current file has too few lines.
    const old = { level: 40, time: '2026-01-02T03:04:05.006Z', pid: 1, hostname: 'h', msg: 'from an older version', worker: 3 }
    await writeFile(`${p.logFile}.1`, `${JSON.stringify(old)}\n`)
    const result = await cli(p, ['logs', '-n', '200'])
    expect(result.exitCode).toBe(0)
    const printed = result.stdout.split('\n').slice(0, -1)
    expect(printed.length).toBeGreaterThan(2)
    for (const line of printed) expect(line).toMatch(PRINTED)
    expect(printed[0]).toMatch(/ WARN {2}from an older version worker=3$/)
    expect(printed.find((line) => line.includes('mswoole started'))).toMatch(/ INFO {2}mswoole started version=\S+ outside=\{.*"port":\d+/)
    expect(result.stdout).not.toContain('\u001b')
  })

  it('colours on a terminal, and not with --no-color', async () => {
    const { project: p } = daemon()
    const env = { TERM: 'xterm-256color', NO_COLOR: undefined }
    const coloured = await onTerminal([process.execPath, BIN, 'logs', '-n', '3', '--level', 'info', '-c', p.configDir], env)
    expect(coloured.exitCode).toBe(0)
    expect(terminalText(coloured.stdout)).toContain('\u001b[32mINFO \u001b[0m mswoole started ')
    const plain = await onTerminal([process.execPath, BIN, 'logs', '-n', '3', '--level', 'info', '--no-color', '-c', p.configDir], env)
    expect(plain.exitCode).toBe(0)
    const lines = terminalText(plain.stdout)
      .split('\n')
      .filter((line) => line.length > 0)
    expect(lines).toHaveLength(3)
    for (const line of lines) expect(line).toMatch(PRINTED)
  })
})

describe('mswoole logs, each with a daemon of its own', () => {
  it('--level warn shows only warn and above', async () => {
    const p = await project()
    const first = await startDaemon(p)
    // A daemon that dies hard makes the next one log a warning about what it left.
    process.kill(first.pid, 'SIGKILL')
    expect(await waitForExit(first.pid, 10_000)).toBe(true)
    await startDaemon(p)

    const file = (await fileLines(p.logFile)).map((line) => JSON.parse(line) as { level: LogLevelName })
    expect(file.some((line) => rank(line.level) < rank('warn'))).toBe(true)
    // A rotated file from an earlier version, which numbered its levels (40 = warn), is filtered the same way.
    const old = [
      { level: 30, time: '2026-01-02T03:04:05.006Z', msg: 'old info' },
      { level: 40, time: '2026-01-02T03:04:05.007Z', msg: 'old warning' },
    ]
    await writeFile(`${p.logFile}.1`, old.map((line) => `${JSON.stringify(line)}\n`).join(''))

    const result = await cli(p, ['logs', '--level', 'warn', '--json'])
    expect(result.exitCode).toBe(0)
    const shown = result.stdout
      .split('\n')
      .filter((line) => line.length > 0)
      .map((line) => JSON.parse(line) as { level: LogLevelName | number; msg: string })
    expect(shown[0]).toEqual(old[1])
    const current = shown.slice(1) as Array<{ level: LogLevelName; msg: string }>
    expect(current.map((line) => line.msg)).toContain('removed the pid file and socket of a daemon that died')
    for (const line of current) expect(rank(line.level)).toBeGreaterThanOrEqual(rank('warn'))
    expect(current).toHaveLength(file.filter((line) => rank(line.level) >= rank('warn')).length)
  })

  it('-f --json streams new lines after the tail and exits 0 when the daemon goes away', async () => {
    const p = await project()
    const status = await startDaemon(p)
    const follower = execa(process.execPath, [BIN, 'logs', '-f', '--json', '-n', '1', '-c', p.configDir], {
      reject: false,
      stdin: 'ignore',
    })
    const out = new LineCollector(follower.stdout, 'mswoole logs -f')
    await out.waitForJson<{ msg: string }>((line) => line.msg === 'mswoole started')

    expect((await cli(p, ['stop'])).exitCode).toBe(0)
    const result = await follower
    expect(result.exitCode).toBe(0)
    expect(result.stderr).toBe('mswoole stopped; no more lines')
    const msgs = out.lines.map((line) => JSON.parse(line) as { msg: string; pid: number })
    expect(msgs.map((line) => line.msg)).toEqual(['mswoole started', 'stopping', 'stopped'])
    for (const line of msgs) expect(line.pid).toBe(status.pid)
  })

  it('reads the file when the daemon is stopped, but -f needs a running daemon', async () => {
    const p = await project()
    await startDaemon(p)
    expect((await cli(p, ['stop'])).exitCode).toBe(0)

    const result = await cli(p, ['logs', '--json'])
    expect(result.exitCode).toBe(0)
    expect(result.stdout.split('\n').filter((line) => line.length > 0)).toEqual(await fileLines(p.logFile))
    expect(result.stdout).toContain('"msg":"stopped"')

    const follow = await cli(p, ['logs', '-f'])
    expect(follow.exitCode).not.toBe(0)
    expect(follow.stderr).toContain('MSW_ERR_NOT_RUNNING')
  })

  it('rotates the file by size, keeps max_files old ones, and never splits a line', async () => {
    const p = await project({ log: { level: 'debug', max_size: 4096, max_files: 2 } })
    const status = await startDaemon(p)
    // Each connection logs a 'connection open' line of ~130 bytes: 150 of them pass 4096 bytes several times.
    const total = 150
    for (let i = 0; i < total; i++) await touch(status)
    // Stopping flushes the log.
    expect((await cli(p, ['stop'])).exitCode).toBe(0)

    const logDir = path.dirname(p.logFile)
    const names = (await readdir(logDir)).filter((name) => name.startsWith('mswoole.log')).sort()
    expect(names).toEqual(['mswoole.log', 'mswoole.log.1', 'mswoole.log.2'])

    expectUnbrokenRunTo(await openedFds(logDir, 2), total)
  })

  it('shows the last lines across a rotation: what the new file lacks comes from the rotated ones', async () => {
    const p = await project({ log: { level: 'debug', max_size: 4096, max_files: 2 } })
    const status = await startDaemon(p)
    // 60 connections log 120 lines of ~130 bytes: several rotations, so the current file
    // holds fewer than 40 lines (about 31 fit in 4096 bytes) and file.1 and file.2 are full.
    for (let i = 0; i < 60; i++) await touch(status)
    const logDir = path.dirname(p.logFile)
    const allFiles = async () => [
      ...(await fileLines(`${p.logFile}.2`)),
      ...(await fileLines(`${p.logFile}.1`)),
      ...(await fileLines(p.logFile)),
    ]

    const daemonTail = await cli(p, ['logs', '-n', '40', '--json'])
    expect(daemonTail.exitCode).toBe(0)
    const shown = daemonTail.stdout.split('\n').filter((line) => line.length > 0)
    expect(shown).toHaveLength(40)
    expect((await fileLines(p.logFile)).length).toBeLessThan(40)
    // An unbroken run of the files' lines, oldest first (the daemon may have logged more since).
    const onDisk = await allFiles()
    const at = onDisk.indexOf(shown[0] as string)
    expect(at).toBeGreaterThanOrEqual(0)
    expect(onDisk.slice(at, at + 40)).toEqual(shown)

    // Stopped, the CLI reads the files itself, the same way.
    expect((await cli(p, ['stop'])).exitCode).toBe(0)
    const fileTail = await cli(p, ['logs', '-n', '40', '--json'])
    expect(fileTail.exitCode).toBe(0)
    expect(fileTail.stdout.split('\n').filter((line) => line.length > 0)).toEqual((await allFiles()).slice(-40))
    expect(await readdir(logDir)).toContain('mswoole.log.2')
  })

  it('rotates cleanly under a burst of connections that log faster than a new file opens', async () => {
    // Files large enough that the two kept ones always hold the last open line, whatever the
    // 400 close lines after it (about 52 KB); small enough that the burst still rotates them.
    const p = await project({ log: { level: 'debug', max_size: 32768, max_files: 2 } })
    const status = await startDaemon(p)
    // All at once, as after a restart: a rotation must not run again before the file it made exists.
    const total = 400
    const sockets = await Promise.all(Array.from({ length: total }, async () => connect(await clientUrl(status.outside.port))))
    await Promise.all(
      sockets.map((ws) => {
        const done = closed(ws)
        ws.close()
        return done
      }),
    )
    expect((await cli(p, ['stop'])).exitCode).toBe(0)

    const logDir = path.dirname(p.logFile)
    const names = await readdir(logDir)
    expect(names).toContain('mswoole.log.1')
    expect(names).not.toContain('mswoole.log.3')
    // The daemon's stderr lands in daemon.out: the log file never reported a failure.
    expect(await readFile(path.join(logDir, 'daemon.out'), 'utf8')).not.toContain('is failing')
    for (const name of names.filter((n) => /^mswoole\.log\.\d$/.test(n))) {
      expect((await readFile(path.join(logDir, name), 'utf8')).length, `${name} is empty`).toBeGreaterThan(0)
    }
    expectUnbrokenRunTo(await openedFds(logDir, 2), total)
  })
})
