import { stat } from 'node:fs/promises'
import { stripVTControlCharacters } from 'node:util'
import { execa } from 'execa'
import { describe, expect, it } from 'vitest'
import { readPidFile } from '../../src/daemon/runtime/pid-file.js'
import type { StatusResult } from '../../src/contracts/control-api.js'
import { BIN, useProjects, cliJson } from '../helpers/cli.js'
import { LineCollector } from '../helpers/lines.js'
import { readLogLines } from '../helpers/project.js'
import { onTerminal } from '../helpers/terminal.js'

const project = useProjects()

describe('mswoole start --foreground', () => {
  it('runs attached, logs JSON to stdout and to the file, and stops cleanly on SIGTERM', async () => {
    const p = await project()
    // Attached, as systemd or a container runtime would run it: the daemon is this child itself.
    const child = execa(process.execPath, [BIN, 'start', '--foreground', '-c', p.configDir], { reject: false, stdin: 'ignore' })
    const out = new LineCollector(child.stdout, 'mswoole start --foreground')
    const started = await out.waitForJson<{ msg: string; pid: number }>((line) => line.msg === 'mswoole started')
    expect(started.pid).toBe(child.pid)

    const { exitCode, json } = await cliJson<StatusResult>(p, ['status'])
    expect(exitCode).toBe(0)
    expect(json).toMatchObject({ running: true, state: 'running', pid: child.pid })

    child.kill('SIGTERM')
    const result = await child
    expect(result.exitCode).toBe(0)
    await expect(stat(p.pidFile)).rejects.toMatchObject({ code: 'ENOENT' })
    await expect(stat(p.socket)).rejects.toMatchObject({ code: 'ENOENT' })

    // The lifecycle at info level; warnings (an empty manager key on loopback) may come between.
    const entries = out.lines.map((line) => JSON.parse(line) as { msg: string; level: string })
    const printed = entries.filter((entry) => entry.level === 'info').map((entry) => entry.msg)
    // The sample app's Live module creates its table at this first start.
    expect(printed).toEqual(['migration applied', 'mswoole started', 'signal received', 'stopping', 'stopped'])
    // The file got the same lines as stdout.
    const logged = await readLogLines(p)
    expect(logged.map((line) => line.msg)).toEqual(entries.map((entry) => entry.msg))
    expect(logged.find((line) => line.msg === 'signal received')).toMatchObject({ signal: 'SIGTERM', pid: child.pid })
  })

  it('on a terminal prints one coloured line per event instead of JSON, and the file keeps JSON lines', async () => {
    const p = await project()
    const child = onTerminal([process.execPath, BIN, 'start', '--foreground', '-c', p.configDir], {
      TERM: 'xterm-256color',
      NO_COLOR: undefined,
    })
    const out = new LineCollector(child.stdout, 'mswoole start --foreground on a terminal')
    await out.waitFor((line) => line.includes('mswoole started'))
    const pid = await readPidFile(p.pidFile)
    expect(pid).toBeGreaterThan(0)
    process.kill(pid as number, 'SIGTERM')
    const result = await child
    expect(result.exitCode).toBe(0)

    const shown = out.lines.filter((line) => line.length > 0)
    expect(shown.some((line) => line.includes('\u001b[32mINFO \u001b[0m'))).toBe(true)
    const plain = shown.map((line) => stripVTControlCharacters(line))
    for (const line of plain) expect(line).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} (INFO |WARN ) \S/)
    // The file got the same events, as JSON lines; the message follows the 30 characters of time and level.
    const logged = await readLogLines(p)
    expect(logged.map((line) => line.msg)).toContain('stopped')
    expect(plain.map((line, i) => line.slice(30).startsWith(`${String(logged[i]?.msg)}`))).toEqual(logged.map(() => true))
    for (const line of logged) expect(['info', 'warn']).toContain(line.level)
  })
})
