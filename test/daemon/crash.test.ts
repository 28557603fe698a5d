import { stat } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { execa } from 'execa'
import { describe, expect, it } from 'vitest'
import { useProjects } from '../helpers/cli.js'
import { readLogLines } from '../helpers/project.js'

const FIXTURE = fileURLToPath(new URL('../fixtures/crash-daemon.ts', import.meta.url))
const ROOT = fileURLToPath(new URL('../..', import.meta.url))

const project = useProjects()

describe('a daemon that crashes', () => {
  it('logs the crash with its stack, removes its runtime files and exits 1', async () => {
    const p = await project()
    const result = await execa(process.execPath, ['--import', 'tsx', FIXTURE, p.configDir], { cwd: ROOT, reject: false, stdin: 'ignore' })
    // It did start: the crash came after ready, not from a failed start.
    expect(String(result.stdout)).toContain('ready')
    expect(result.exitCode).toBe(1)

    const lines = await readLogLines(p)
    expect(lines.some((line) => line.msg === 'mswoole started')).toBe(true)
    const last = lines.at(-1) as { level: string; msg: string; err?: { message?: string; stack?: string } }
    expect(last).toMatchObject({ level: 'fatal', msg: 'crashed' })
    expect(last.err?.stack).toContain('boom from test')
    expect(last.err?.stack).toContain('crash-daemon.ts')

    await expect(stat(p.pidFile)).rejects.toMatchObject({ code: 'ENOENT' })
    await expect(stat(p.socket)).rejects.toMatchObject({ code: 'ENOENT' })
  })
})
