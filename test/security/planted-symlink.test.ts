import { existsSync } from 'node:fs'
import { lstat, mkdir, readFile, rename, symlink, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import type { StatusResult } from '../../src/contracts/control-api.js'
import { cli, cliJson, startDaemon, useProjects } from '../helpers/cli.js'
import { poll } from '../helpers/poll.js'
import { processesMentioning, type Project } from '../helpers/project.js'

/**
 * The daemon often runs as root. A symbolic link planted where it writes (its
 * log, daemon.out, the SQLite database) must make it refuse, never write
 * through the link into the file it points to.
 */

const project = useProjects()

const SECRET = 'secret\n'

/** A file outside the runtime folder, standing for one only root may write. */
async function target(p: Project, content = SECRET): Promise<string> {
  const file = path.join(p.root, 'root-only.txt')
  await writeFile(file, content, { mode: 0o600 })
  return file
}

async function plant(p: Project, where: string, to: string): Promise<void> {
  await mkdir(path.join(p.runtime, 'logs'), { recursive: true, mode: 0o700 })
  await symlink(to, where)
}

/** A refused start: exit 1, one line naming the code, and nothing of the daemon left behind. */
async function expectRefusedStart(p: Project, link: string): Promise<void> {
  const result = await cli(p, ['start'])
  expect(result.exitCode, result.stdout).toBe(1)
  expect(result.stderr).toContain('[MSW_ERR_UNSAFE_FILE]')
  expect(result.stderr).toContain(link)
  expect(existsSync(p.pidFile)).toBe(false)
  expect(existsSync(p.socket)).toBe(false)
  expect(await processesMentioning(p.root)).toEqual([])
  expect((await lstat(link)).isSymbolicLink()).toBe(true)
}

describe('a symbolic link planted in the runtime folder', () => {
  it('at logs/mswoole.log: the daemon refuses to start and the target is untouched', async () => {
    const p = await project()
    const secret = await target(p)
    await plant(p, p.logFile, secret)
    await expectRefusedStart(p, p.logFile)
    expect(await readFile(secret, 'utf8')).toBe(SECRET)
  })

  it('at logs/daemon.out: the start is refused before the daemon runs, and the target is untouched', async () => {
    const p = await project()
    const secret = await target(p)
    const out = path.join(path.dirname(p.logFile), 'daemon.out')
    await plant(p, out, secret)
    await expectRefusedStart(p, out)
    expect(await readFile(secret, 'utf8')).toBe(SECRET)
  })

  it('at the log file when SIGUSR1 reopens it: refused, logged in the old file, and the daemon keeps running', async () => {
    const p = await project()
    const secret = await target(p)
    const started = await startDaemon(p)
    // logrotate moved the file away; someone put a link in its place before the signal.
    const moved = `${p.logFile}.1`
    await rename(p.logFile, moved)
    await symlink(secret, p.logFile)

    process.kill(started.pid, 'SIGUSR1')
    const old = await poll(
      () => readFile(moved, 'utf8'),
      (text) => text.includes('"msg":"log file not reopened"'),
      5000,
    )
    const refusal = old
      .split('\n')
      .filter((line) => line.includes('"msg":"log file not reopened"'))
      .map((line) => JSON.parse(line) as { level: string; err: { code: string } })
    expect(refusal).toEqual([expect.objectContaining({ level: 'error', err: expect.objectContaining({ code: 'MSW_ERR_UNSAFE_FILE' }) })])
    expect(await readFile(secret, 'utf8')).toBe(SECRET)

    // Still serving, and still logging to the file it had.
    const { exitCode, json } = await cliJson<StatusResult>(p, ['status'])
    expect(exitCode).toBe(0)
    expect(json.pid).toBe(started.pid)
    process.kill(started.pid, 'SIGUSR2')
    await poll(
      () => readFile(moved, 'utf8'),
      (text) => text.includes('"msg":"status snapshot"'),
      5000,
    )
    expect(await readFile(secret, 'utf8')).toBe(SECRET)
  })

  // The sample application migrates its SQLite database (runtime/mswoole.db by default) at start.
  it.each(['mswoole.db', 'mswoole.db-wal'])('at runtime/%s: the start is refused and the target stays empty', async (name) => {
    const p = await project()
    // Empty, as a file SQLite would happily turn into a database.
    const secret = await target(p, '')
    const link = path.join(p.runtime, name)
    await plant(p, link, secret)
    const result = await cli(p, ['start'])
    expect(result.exitCode, result.stdout).toBe(1)
    expect(result.stderr).toContain('[MSW_ERR_UNSAFE_FILE]')
    expect(result.stderr).toContain(link)
    expect(existsSync(p.pidFile)).toBe(false)
    expect(await readFile(secret, 'utf8')).toBe('')
  })
})
