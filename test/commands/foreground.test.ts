import { stat } from 'node:fs/promises'
import { execa } from 'execa'
import { describe, expect, it } from 'vitest'
import type { StatusResult } from '../../src/ipc/methods.js'
import { BIN, useProjects, cliJson } from '../helpers/cli.js'
import { LineCollector } from '../helpers/lines.js'
import { readLogLines } from '../helpers/project.js'

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
    const entries = out.lines.map((line) => JSON.parse(line) as { msg: string; level: number })
    const printed = entries.filter((entry) => entry.level === 30).map((entry) => entry.msg)
    // The sample app's Live module creates its table at this first start.
    expect(printed).toEqual(['migration applied', 'mswoole started', 'signal received', 'stopping', 'stopped'])
    // The file got the same lines as stdout.
    const logged = await readLogLines(p)
    expect(logged.map((line) => line.msg)).toEqual(entries.map((entry) => entry.msg))
    expect(logged.find((line) => line.msg === 'signal received')).toMatchObject({ signal: 'SIGTERM', pid: child.pid })
  })
})
