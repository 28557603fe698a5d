import { execFileSync } from 'node:child_process'
import { mkdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import type { StatusResult } from '../../src/contracts/control-api.js'
import { cli, cliJson, startDaemon, useProjects } from '../helpers/cli.js'
import { mintToken, TestClient } from '../helpers/client.js'

const project = useProjects()

const FAILING = /log file .* is failing/g

describe('a log file that cannot be written (a full disk)', () => {
  it('keeps serving and says so once on stderr', async () => {
    // At debug every connection logs its open and its close: many lines to fail on.
    const p = await project({ log: { level: 'debug' } })
    const logDir = path.dirname(p.logFile)
    await mkdir(p.runtime, { mode: 0o700 })
    await mkdir(logDir, { mode: 0o700 })
    // Every write to /dev/full (character device 1,7) fails with ENOSPC, as on a full disk. A node of
    // its own, not a symbolic link to it: the daemon refuses to open its log through a link.
    execFileSync('mknod', [p.logFile, 'c', '1', '7'])

    const started = await startDaemon(p)
    expect(started.running).toBe(true)

    // Many log lines: connections opening and closing, each answered.
    for (let round = 0; round < 20; round++) {
      const client = await TestClient.connect(
        `ws://127.0.0.1:${started.outside.port}/?auth=${await mintToken({ id: round, type: 'wechatUser', code: 'room1' })}`,
      )
      expect(await client.ask({ method: 'index.index.index' }, 'success')).toMatchObject({ status: 200 })
      client.close()
      await client.closed()
    }

    const { exitCode, json, stderr } = await cliJson<StatusResult>(p, ['status'])
    expect(exitCode, stderr).toBe(0)
    expect(json.pid).toBe(started.pid)

    // Asking for the log does not hang the daemon on the lines it cannot write: it answers, and so does status.
    const logs = await cli(p, ['logs', '-n', '5'])
    expect(logs.exitCode, logs.stderr).toBe(0)
    expect((await cliJson<StatusResult>(p, ['status'])).exitCode).toBe(0)

    // The daemon's stderr goes to daemon.out: the failure is told there, once.
    const out = await readFile(path.join(logDir, 'daemon.out'), 'utf8')
    expect(out.match(FAILING)).toHaveLength(1)
    expect(out).toContain('ENOSPC')

    // And it stops gracefully, without being killed for lines it could never write.
    const stopped = await cliJson<{ killed: boolean; result?: { stopped: boolean } }>(p, ['stop', '--timeout', '5'])
    expect(stopped.exitCode, stopped.stderr).toBe(0)
    expect(stopped.json).toMatchObject({ killed: false, result: { stopped: true } })
  })
})
