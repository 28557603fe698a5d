import { mkdir, stat, writeFile } from 'node:fs/promises'
import { execa } from 'execa'
import { describe, expect, it } from 'vitest'
import { isProcessAlive } from '../../../src/daemon/runtime/process-alive.js'
import { waitForExit } from '../../../src/lifecycle/wait-exit.js'
import { useProjects, cli, cliJson, startDaemon } from '../../helpers/cli.js'
import { readLogLines } from '../../helpers/project.js'

const project = useProjects()

/** SIGKILL leaves no chance to clean up: the pid file and the socket stay behind. */
async function killDaemonHard(pid: number): Promise<void> {
  process.kill(pid, 'SIGKILL')
  // Not our child, so there is no exit event to await; wait for the kernel to reap it.
  expect(await waitForExit(pid, 10_000)).toBe(true)
}

describe('runtime files left by a daemon that died', () => {
  it('reads as not running, and the next start cleans them up and says so', async () => {
    const p = await project()
    const first = await startDaemon(p)
    await killDaemonHard(first.pid)

    // LSB's "dead and pid file exists": exit 1, naming the pid that is gone.
    const status = await cli(p, ['status'])
    expect(status.exitCode).toBe(1)
    expect(status.stdout.trim()).toBe(
      `mswoole is not running, but its pid file remains (pid ${first.pid} is gone): run mswoole stop to clean up, or mswoole start`,
    )
    const machine = await cliJson<{ running: boolean; stale: boolean; pid: number }>(p, ['status'])
    expect(machine.exitCode).toBe(1)
    expect(machine.json).toMatchObject({ running: false, stale: true, pid: first.pid })
    // status only looks: the stale files are still there for start to judge.
    expect((await stat(p.pidFile)).isFile()).toBe(true)
    expect((await stat(p.socket)).isSocket()).toBe(true)

    const second = await startDaemon(p)
    expect(second.pid).not.toBe(first.pid)
    expect(isProcessAlive(second.pid)).toBe(true)
    expect((await cli(p, ['status'])).exitCode).toBe(0)

    const lines = await readLogLines(p)
    const warn = lines.find((line) => line.msg === 'removed the pid file and socket of a daemon that died')
    expect(warn).toMatchObject({ level: 'warn', stalePid: first.pid, pid: second.pid })
  })

  it('does not let the start lock of a dead process block a start', async () => {
    const p = await project()
    // A pid that surely belongs to no live process: a child that has already exited.
    const child = execa(process.execPath, ['-e', ''])
    const deadPid = child.pid
    await child
    expect(deadPid).toBeGreaterThan(0)
    expect(isProcessAlive(deadPid as number)).toBe(false)
    await mkdir(p.runtime, { recursive: true, mode: 0o700 })
    const lockFile = `${p.runtime}/mswoole.lock`
    await writeFile(lockFile, `${deadPid}\n`)

    const started = await startDaemon(p)
    expect(started.running).toBe(true)
    // The start took the lock over and released it once it was ready.
    await expect(stat(lockFile)).rejects.toMatchObject({ code: 'ENOENT' })
  })
})
