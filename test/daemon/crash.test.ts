import { stat } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { execa } from 'execa'
import { afterEach, describe, expect, it } from 'vitest'
import { cleanupProject } from '../helpers/cli.js'
import { makeProject, readLogLines, type Project } from '../helpers/project.js'

const FIXTURE = fileURLToPath(new URL('../fixtures/crash-daemon.ts', import.meta.url))
const ROOT = fileURLToPath(new URL('../..', import.meta.url))

const projects: Project[] = []
async function project(): Promise<Project> {
  const p = await makeProject()
  projects.push(p)
  return p
}
afterEach(async () => {
  await Promise.all(projects.splice(0).map(cleanupProject))
})

describe('a daemon that crashes', () => {
  it('logs the crash with its stack, removes its runtime files and exits 1', async () => {
    const p = await project()
    const result = await execa(process.execPath, ['--import', 'tsx', FIXTURE, p.configDir], { cwd: ROOT, reject: false, stdin: 'ignore' })
    // It did start: the crash came after ready, not from a failed start.
    expect(String(result.stdout)).toContain('ready')
    expect(result.exitCode).toBe(1)

    const lines = await readLogLines(p)
    expect(lines.some((line) => line.msg === 'mswoole started')).toBe(true)
    const last = lines.at(-1) as { level: number; msg: string; err?: { message?: string; stack?: string } }
    expect(last).toMatchObject({ level: 60, msg: 'crashed' })
    expect(last.err?.stack).toContain('boom from test')
    expect(last.err?.stack).toContain('crash-daemon.ts')

    await expect(stat(p.pidFile)).rejects.toMatchObject({ code: 'ENOENT' })
    await expect(stat(p.socket)).rejects.toMatchObject({ code: 'ENOENT' })
  })
})
