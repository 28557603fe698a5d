import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import type { StatusResult } from '../../src/contracts/control-api.js'
import type { StopOutcome } from '../../src/lifecycle/stop.js'
import { waitForExit } from '../../src/lifecycle/wait-exit.js'
import { cliJson, startDaemon, useProjects } from '../helpers/cli.js'
import { mintToken, TestClient } from '../helpers/client.js'
import { poll, within } from '../helpers/poll.js'
import { readLogLines } from '../helpers/project.js'

const STUCK_APP = fileURLToPath(new URL('../fixtures/stuck-app', import.meta.url))

const project = useProjects()

async function open(port: number, id: number): Promise<TestClient> {
  return TestClient.connect(`ws://127.0.0.1:${port}/?auth=${await mintToken({ id, type: 'wechatUser', code: 'room1' })}`)
}

describe('a controller stuck in a busy loop at stop', () => {
  it('stop still ends the daemon, closes the other clients with 1001 and says the workers were ended', async () => {
    // No execution limit: the watchdog does not replace the stuck worker before the stop does.
    const p = await project({ app: STUCK_APP, setting: { worker_num: 2, max_execution_time: 0 } })
    const started = await startDaemon(p)
    const clients = await Promise.all([1, 2, 3, 4].map((id) => open(started.outside.port, id)))
    // Every worker answers before one of them gets stuck.
    for (const client of clients) expect(await client.ask({ method: 'stuck.stuck.ping' }, 'pong')).toMatchObject({ status: 200 })

    const [stuck, ...others] = clients as [TestClient, ...TestClient[]]
    stuck.send({ method: 'stuck.stuck.spin' })
    const busy = await poll(
      async () => (await cliJson<StatusResult>(p, ['status'])).json,
      (status) => status.workers.some((worker) => worker.inFlight > 0),
    )
    expect(busy.workers.some((worker) => worker.inFlight > 0)).toBe(true)

    const stop = await cliJson<StopOutcome>(p, ['stop', '--timeout', '2'])
    expect(stop.exitCode, stop.stderr).toBe(0)
    // The cut-short handler is told where the operator looks, not only in the log.
    expect(stop.json).toMatchObject({ wasRunning: true, killed: false, result: { abortedInFlight: 1 } })
    expect(stop.stderr.trim()).toBe('Warning: 1 handler still running at the 2 s timeout was cut short')
    expect(await waitForExit(started.pid, 15_000)).toBe(true)

    const closes = await within(Promise.all(others.map((client) => client.closed())), 10_000, 'other clients closing')
    for (const close of closes) expect(close.code).toBe(1001)
    await within(stuck.closed(), 10_000, 'the stuck client closing')

    const warn = (await readLogLines(p)).find((line) => line.msg === 'workers still busy at stop; ended them')
    expect(warn).toMatchObject({ level: 'warn' })
  })
})
