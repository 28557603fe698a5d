import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdir, stat, writeFile } from 'node:fs/promises'
import pino from 'pino'
import { describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import type { StatusResult, StopResult } from '../../src/contracts/control-api.js'
import { MswError } from '../../src/errors.js'
import { withDaemon } from '../../src/ipc/client.js'
import { type Handlers, listenIpc } from '../../src/ipc/server.js'
import type { StopOutcome } from '../../src/lifecycle/stop.js'
import { isProcessAlive } from '../../src/daemon/runtime/process-alive.js'
import { BIN, cli, cliJson, startDaemon, useProjects } from '../helpers/cli.js'
import { mintToken, TestClient } from '../helpers/client.js'
import { poll } from '../helpers/poll.js'
import { makeProject, processesMentioning, readLogLines, type Project } from '../helpers/project.js'
import { RawControl } from '../helpers/raw-control.js'
import { onTerminal, terminalText } from '../helpers/terminal.js'

const project = useProjects()

interface ErrorJson {
  error: { code: string; message: string; details?: Record<string, unknown> }
}

/** A client of the sample app, with when the server's close reached it. */
interface Watched {
  client: TestClient
  closed: Promise<{ code: number; reason: string; at: number }>
}

async function connectClients(port: number, count: number, code = 'drain'): Promise<Watched[]> {
  const clients: Watched[] = []
  // One after another, so their fds (and the drain's order, oldest first) follow the array.
  for (let i = 0; i < count; i++) {
    const client = await TestClient.connect(`ws://127.0.0.1:${port}/?auth=${await mintToken({ id: 100 + i, type: 'wechatUser', code })}`)
    clients.push({ client, closed: client.closed().then((close) => ({ ...close, at: Date.now() })) })
  }
  return clients
}

/** What a new client gets from the outside port: 'open', an HTTP status, or the socket error's code. */
function tryUpgrade(port: number, token: string): Promise<string> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/?auth=${token}`)
    ws.on('open', () => {
      ws.terminate()
      resolve('open')
    })
    ws.on('unexpected-response', (_req, res) => {
      res.resume()
      ws.terminate()
      resolve(String(res.statusCode))
    })
    ws.on('error', (err: Error & { code?: string }) => resolve(err.code ?? err.message))
  })
}

function daemonStatus(p: Project): Promise<StatusResult> {
  return withDaemon(p.socket, (c) => c.call('status', {}))
}

/** Once the daemon says it drains: a state with no event of its own. */
async function drainingStarted(p: Project): Promise<StatusResult> {
  const status = await poll(
    () => daemonStatus(p),
    (s) => s.draining !== undefined,
  )
  expect(status.draining, 'the drain did not begin').toBeDefined()
  return status
}

async function expectGone(p: Project): Promise<void> {
  expect(await processesMentioning(p.root)).toEqual([])
  await expect(stat(p.pidFile)).rejects.toMatchObject({ code: 'ENOENT' })
  await expect(stat(p.socket)).rejects.toMatchObject({ code: 'ENOENT' })
}

function resultOf(outcome: StopOutcome): StopResult {
  if (!outcome.wasRunning || outcome.result === undefined) throw new Error(`no stop result: ${JSON.stringify(outcome)}`)
  return outcome.result
}

describe('mswoole stop --drain', () => {
  it('closes the port at once, then every client with 1012 spread over the window, each after what it was sent', async () => {
    const p = await project()
    const status = await startDaemon(p)
    const clients = await connectClients(status.outside.port, 40)
    // Sent right before the drain: every client reads it before its close frame.
    const sent = await withDaemon(p.socket, (c) => c.call('broadcast', { all: true, event: 'lastCall', info: 'moving' }))
    expect(sent.delivered).toBe(40)

    const stopping = cliJson<StopOutcome>(p, ['stop', '--drain', '2'])
    // The first close means the drain runs, and the port closed before it began.
    const first = await Promise.race(clients.map((c) => c.closed))
    expect(first.code).toBe(1012)
    expect(await tryUpgrade(status.outside.port, await mintToken({ id: 999, type: 'wechatUser', code: 'drain' }))).toBe('ECONNREFUSED')

    const closes = await Promise.all(clients.map((c) => c.closed))
    for (const close of closes) expect(close).toMatchObject({ code: 1012, reason: 'service restart' })
    for (const { client } of clients) {
      expect(client.frames.map((frame) => JSON.parse(frame).event)).toContain('lastCall')
    }
    // Spread, not all at once: the plan puts the last of 40 at 39.5/40 of the 2 s, the first at 0.5/40.
    const times = closes.map((c) => c.at)
    expect(Math.max(...times) - Math.min(...times)).toBeGreaterThanOrEqual(500)

    const { exitCode, json, stderr } = await stopping
    expect(exitCode, stderr).toBe(0)
    expect(stderr).toBe('')
    expect(json).toEqual({
      wasRunning: true,
      pid: status.pid,
      killed: false,
      result: {
        stopped: true,
        pid: status.pid,
        closedConnections: 40,
        forced: 0,
        abortedInFlight: 0,
        durationMs: expect.any(Number),
        drain: { seconds: 2, closedConnections: 40, durationMs: expect.any(Number), cutShort: false },
      },
    })
    const result = resultOf(json)
    expect(result.drain?.durationMs).toBeGreaterThanOrEqual(1900)
    expect(result.durationMs).toBeGreaterThanOrEqual(result.drain?.durationMs ?? 0)
    await expectGone(p)

    const lines = await readLogLines(p)
    expect(lines.find((l) => l.msg === 'stopping')).toMatchObject({ drain: 2, connections: 40 })
    expect(lines.find((l) => l.msg === 'drained')).toMatchObject({ closedConnections: 40, cutShort: false })
    expect(lines.at(-1)).toMatchObject({ msg: 'stopped', closedConnections: 40, drain: { closedConnections: 40 } })
  })

  it('shows the drain in status and keeps serving the clients left; a plain stop then closes them at once, after what they were sent', async () => {
    const p = await project()
    const status = await startDaemon(p)
    const clients = await connectClients(status.outside.port, 3)
    // Three clients over 600 s: the first is due at the 100th second, long after what follows.
    const stopping = cliJson<StopOutcome>(p, ['stop', '--drain', '600'])
    const during = await drainingStarted(p)

    const shown = await cliJson<StatusResult>(p, ['status'])
    expect(shown.exitCode).toBe(0)
    expect(shown.json).toMatchObject({ running: true, state: 'stopping', connections: 3, draining: { closed: 0, remaining: 3 } })
    const draining = shown.json.draining as NonNullable<StatusResult['draining']>
    expect(Date.parse(draining.closeBy) - Date.parse(draining.since)).toBe(600_000)
    expect(draining.since).toBe(during.draining?.since)
    const text = await cli(p, ['status'])
    expect(text.stdout).toMatch(/^draining: +0 closed, 3 open, (\d+m )?\d+s left$/m)

    expect(await tryUpgrade(status.outside.port, await mintToken({ id: 999, type: 'wechatUser', code: 'drain' }))).toBe('ECONNREFUSED')
    // Served meanwhile: a client's own message, and a push to it by uid.
    const echo = await clients[2]?.client.ask({ method: 'index.index.echo', hello: 'still here' }, 'echo')
    expect(echo).toMatchObject({ status: 200, event: 'echo' })
    const pushed = await cli(p, ['push', '--uid', '101', 'not yet'])
    expect(pushed.exitCode, pushed.stderr).toBe(0)
    expect(await clients[1]?.client.next('serverPush')).toMatchObject({ info: 'not yet' })

    // A broadcast and a stop without a drain, in one write: the stop closes everyone in the
    // turn the broadcast was written, and each client still reads the broadcast first.
    const control = await RawControl.connect(p.socket)
    control.socket.write(
      `${JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'broadcast', params: { all: true, event: 'lastCall', info: 'now' } })}\n` +
        `${JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'stop', params: {} })}\n`,
    )
    const replies = [JSON.parse(await control.lines.next()), JSON.parse(await control.lines.next())] as Array<{
      id: number
      result: unknown
    }>
    const byId = new Map(replies.map((r) => [r.id, r.result]))
    expect(byId.get(1)).toEqual({ delivered: 3, nodes: 0 })
    expect(byId.get(2)).toMatchObject({ closedConnections: 3, drain: { seconds: 600, closedConnections: 3, cutShort: true } })
    control.close()

    for (const { client, closed } of clients) {
      expect(await closed).toMatchObject({ code: 1012, reason: 'service restart' })
      const events = client.frames.map((frame) => JSON.parse(frame).event)
      expect(events.at(-1)).toBe('lastCall')
    }
    const first = await stopping
    expect(first.exitCode, first.stderr).toBe(0)
    expect(resultOf(first.json).drain).toMatchObject({ seconds: 600, closedConnections: 3, cutShort: true })
    expect(first.json).toMatchObject({ wasRunning: true, pid: status.pid, killed: false })
    expect(first.stderr).toMatch(
      /^Warning: the 600 s drain was cut short after \d+ ms by another stop or a signal; the clients left were closed then$/,
    )
    await expectGone(p)
    expect((await readLogLines(p)).some((l) => l.msg === 'drain cut short')).toBe(true)
  })

  it('lets a second stop --drain bring the end forward, never later, and both get the one result', async () => {
    const p = await project()
    const status = await startDaemon(p)
    const clients = await connectClients(status.outside.port, 4)
    const stopping = cliJson<StopOutcome>(p, ['stop', '--drain', '600'])
    const before = (await drainingStarted(p)).draining

    // Longer than what is left: nothing changes.
    const later = await withDaemon(p.socket, async (c) => {
      const asked = c.call('stop', { drain: 3600 }, { timeoutMs: 0 })
      asked.catch(() => undefined)
      return (await c.call('status', {})).draining
    })
    expect(later?.closeBy).toBe(before?.closeBy)

    const second = await cliJson<StopOutcome>(p, ['stop', '--drain', '1'])
    const first = await stopping
    expect(second.exitCode, second.stderr).toBe(0)
    expect(first.exitCode, first.stderr).toBe(0)
    expect(second.json).toEqual(first.json)
    expect(resultOf(first.json).drain).toMatchObject({ seconds: 600, closedConnections: 4, cutShort: true })
    expect(resultOf(first.json).drain?.durationMs).toBeLessThan(600_000)
    for (const { closed } of clients) expect((await closed).code).toBe(1012)
    await expectGone(p)
    expect((await readLogLines(p)).some((l) => l.msg === 'drain shortened' && l.drain === 1)).toBe(true)
  })

  it('ends the drain when SIGTERM comes, closing the clients left with 1012, and exits cleanly', async () => {
    const p = await project()
    const status = await startDaemon(p)
    const clients = await connectClients(status.outside.port, 2)
    const stopping = cliJson<StopOutcome>(p, ['stop', '--drain', '60'])
    await drainingStarted(p)
    process.kill(status.pid, 'SIGTERM')
    for (const { closed } of clients) expect((await closed).code).toBe(1012)
    const { exitCode, json, stderr } = await stopping
    expect(exitCode, stderr).toBe(0)
    expect(json).toMatchObject({ wasRunning: true, pid: status.pid, killed: false })
    expect(resultOf(json)).toMatchObject({ closedConnections: 2, drain: { closedConnections: 2, cutShort: true } })
    expect(stderr).toContain('Warning: the 60 s drain was cut short')
    await expectGone(p)
    const lines = await readLogLines(p)
    const signal = lines.findIndex((l) => l.msg === 'signal received')
    expect(signal).toBeGreaterThan(-1)
    expect(lines.findIndex((l) => l.msg === 'drain cut short')).toBeGreaterThan(signal)
  })

  it('behaves as before without --drain, and with --drain 0: 1001 at once, no drain in the result', async () => {
    const [a, b] = await Promise.all([project(), project()])
    const [sa, sb] = await Promise.all([startDaemon(a as Project), startDaemon(b as Project)])
    const [ca, cb] = await Promise.all([connectClients(sa.outside.port, 2), connectClients(sb.outside.port, 2)])
    const [plain, zero] = await Promise.all([
      cliJson<StopOutcome>(a as Project, ['stop']),
      cliJson<StopOutcome>(b as Project, ['stop', '--drain', '0']),
    ])
    for (const [outcome, clients] of [
      [plain, ca],
      [zero, cb],
    ] as const) {
      expect(outcome.exitCode, outcome.stderr).toBe(0)
      expect(outcome.stderr).toBe('')
      const result = resultOf(outcome.json)
      expect(result).toMatchObject({ closedConnections: 2, forced: 0 })
      expect(result).not.toHaveProperty('drain')
      for (const { closed } of clients ?? []) expect(await closed).toMatchObject({ code: 1001, reason: 'server shutting down' })
    }
    const stopping = (await readLogLines(b as Project)).find((l) => l.msg === 'stopping')
    expect(stopping).not.toHaveProperty('drain')
  })

  it('shows how the drain goes beside the spinner at a terminal', async () => {
    const p = await project()
    const status = await startDaemon(p)
    const clients = await connectClients(status.outside.port, 2)
    const run = await onTerminal([process.execPath, BIN, 'stop', '--drain', '2', '-c', p.configDir])
    const text = terminalText(run.stdout)
    expect(run.exitCode, text).toBe(0)
    expect(text).toContain('Draining mswoole over 2 s')
    expect(text).toMatch(/\d+ closed, \d+ open, \d+ s left/)
    expect(text).toMatch(/mswoole stopped \(pid \d+, closed 2 connections in \d+ ms, 2 of them drained over \d+ ms\)/)
    for (const { closed } of clients) expect((await closed).code).toBe(1012)
  })
})

describe('mswoole stop --drain refused', () => {
  it('refuses a value that is not a whole number of seconds up to 3600, before asking any daemon', async () => {
    const p = await makeProject()
    try {
      const results = await Promise.all(['1.5', '3601', '-1', 'soon'].map((value) => cliJson<ErrorJson>(p, ['stop', `--drain=${value}`])))
      for (const [i, value] of ['1.5', '3601', '-1', 'soon'].entries()) {
        const result = results[i] as (typeof results)[number]
        // 2, not 3: no daemon runs, so a request would have ended in MSW_ERR_NOT_RUNNING.
        expect(result.exitCode).toBe(2)
        expect(result.json.error).toEqual({
          code: 'MSW_ERR_INVALID_ARGUMENT',
          message: `--drain: expected a whole number of seconds from 0 to 3600, got "${value}"`,
        })
        expect(result.stderr).toBe(
          `Error: --drain: expected a whole number of seconds from 0 to 3600, got "${value}" [MSW_ERR_INVALID_ARGUMENT]`,
        )
      }
    } finally {
      await p.remove()
    }
  })

  it('leaves a daemon that does not know --drain running, and says so in one line', async () => {
    const p = await makeProject()
    // A daemon of an older mswoole: its control socket refuses the drain param; its pid is a live process.
    const sleeper = spawn('sleep', ['60'], { stdio: 'ignore' })
    const pid = sleeper.pid as number
    await mkdir(p.runtime, { recursive: true, mode: 0o700 })
    await writeFile(p.pidFile, `${pid}\n`)
    const refuse = async () => Promise.reject(new MswError('MSW_ERR_RPC_INVALID_PARAMS', 'stop: Unrecognized key: "drain"'))
    const server = await listenIpc({
      socketPath: p.socket,
      handlers: { stop: refuse } as unknown as Handlers,
      logger: pino({ level: 'silent' }),
    })
    try {
      const { exitCode, json, stderr } = await cliJson<ErrorJson>(p, ['stop', '--drain', '30'])
      expect(exitCode).toBe(1)
      expect(json.error).toMatchObject({ code: 'MSW_ERR_DRAIN_UNSUPPORTED', details: { pid } })
      expect(stderr).toBe(
        `Error: the running daemon (pid ${pid}) does not know --drain: an older mswoole started it; it is still running (stop it without --drain) [MSW_ERR_DRAIN_UNSUPPORTED]`,
      )
      expect(isProcessAlive(pid)).toBe(true)
    } finally {
      await server.close()
      sleeper.kill('SIGKILL')
      await once(sleeper, 'exit')
      await p.remove()
    }
  })
})
