import './seed.js'
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, expect } from 'vitest'
import type { StatusResult } from '../../src/contracts/control-api.js'
import { cleanupProject, cliJson, startDaemon } from '../helpers/cli.js'
import { mintToken, TestClient, type Envelope } from '../helpers/client.js'
import { poll, within } from '../helpers/poll.js'
import { makeProject, type AppJson, type Project } from '../helpers/project.js'
import { RawControl } from '../helpers/raw-control.js'

/**
 * One daemon per fuzz file (or describe block), shared by its properties: it is
 * started before the first property and checked after the last, so what the
 * fuzz did to it adds up.
 * (Not `useProjects()`: under @fast-check/vitest an afterEach hook runs after every
 * generated input, and its cleanup would stop the daemon after the first one.)
 */

/**
 * How long one exchange may take before it counts as a hang. Not a timing
 * assertion: it only turns a daemon that never answers into a failure that
 * names the input, instead of a test timeout that names nothing.
 */
export const HANG_MS = 15_000

/** How far the master's heap may stay above its level before the fuzz. */
const HEAP_SLACK = 64 * 1024 * 1024
/** The same for the whole process (workers are threads of it); RSS gives memory back to the system slowly, so more room. */
const RSS_SLACK = 256 * 1024 * 1024

const WELL_BEHAVED = 2

export interface FuzzDaemon {
  project: Project
  started: StatusResult
  /** A token the default auth accepts; every fuzz connection reuses it. */
  token: string
  url: string
  /** A raw control-socket connection kept open from before the fuzz to after it. */
  control: RawControl
  /** Connections that only ever send well-formed messages, opened before the fuzz. */
  neighbours: TestClient[]
  baseline: StatusResult
  /** Set if the control connection ever closes. */
  controlClosed: boolean
}

interface RpcAnswer<T> {
  jsonrpc: '2.0'
  id: unknown
  result?: T
  error?: { code: number; message: string; data?: { code: string } }
}

/** Starts a daemon before the enclosing block's tests and stops it after them; the getter fails if it is not up. */
export function useFuzzDaemon(app: AppJson): () => FuzzDaemon {
  let daemon: FuzzDaemon | undefined
  let made: Project | undefined
  beforeAll(async () => {
    // The properties check every frame the server sends, and a heartbeat ping may land on any
    // open connection (every 10 s by default): none comes while a file runs.
    const setting = { heartbeat_check_interval: 3600, heartbeat_idle_time: 7200, ...(app.setting as Record<string, unknown>) }
    const project = await makeProject({ ...app, setting })
    made = project
    const started = await startDaemon(project)
    const control = await RawControl.connect(project.socket)
    const token = await mintToken({ id: 1, type: 'wechatUser', code: 'room1', nickname: 'neighbour' })
    const url = `ws://127.0.0.1:${started.outside.port}/?auth=${token}`
    const neighbours: TestClient[] = []
    for (let i = 0; i < WELL_BEHAVED; i++) neighbours.push(await TestClient.connect(url))
    // `baseline` is replaced below by a status read once the neighbours are connected.
    const d: FuzzDaemon = { project, started, token, url, control, neighbours, baseline: started, controlClosed: false }
    void control.closed.then(() => {
      d.controlClosed = true
    })
    for (const n of neighbours) await echoRoundTrip(n)
    d.baseline = await controlCall<StatusResult>(d, 'status')
    daemon = d
  })
  afterAll(async () => {
    for (const n of daemon?.neighbours ?? []) n.ws.terminate()
    daemon?.control.close()
    if (made) await cleanupProject(made)
  })
  return () => {
    if (!daemon) throw new Error('the fuzz daemon did not start')
    return daemon
  }
}

let nextId = 1

/** One JSON-RPC call on the long-lived control connection; fails unless it answers with a result. */
export async function controlCall<T>(daemon: FuzzDaemon, method: string, params: unknown = {}): Promise<T> {
  const id = nextId++
  const answer = (await within(
    daemon.control.send(JSON.stringify({ jsonrpc: '2.0', id, method, params })),
    HANG_MS,
    `control ${method}`,
  )) as RpcAnswer<T>
  expect(answer, `control ${method}`).toMatchObject({ jsonrpc: '2.0', id })
  if (answer.result === undefined) throw new Error(`control ${method} failed: ${JSON.stringify(answer.error)}`)
  return answer.result
}

/** The next frame that passes `test`, skipping others; fails if the connection closes first. */
export async function frameMatching(client: TestClient, test: (frame: string) => boolean, what: string): Promise<string> {
  return within(
    (async () => {
      for (;;) {
        const frame = await client.nextFrame()
        if (test(frame)) return frame
      }
    })(),
    HANG_MS,
    what,
  )
}

export function parseEnvelope(frame: string): Envelope | undefined {
  try {
    const value = JSON.parse(frame) as unknown
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Envelope) : undefined
  } catch {
    return undefined
  }
}

/** Sends the sample app's echo with a fresh nonce and waits for exactly that echo. */
export async function echoRoundTrip(client: TestClient): Promise<void> {
  const nonce = randomUUID()
  client.send({ method: 'index.index.echo', nonce })
  const frame = await frameMatching(
    client,
    (f) => (parseEnvelope(f)?.param as { nonce?: unknown } | undefined)?.nonce === nonce,
    'echo round trip',
  )
  expect(parseEnvelope(frame)).toMatchObject({ status: 200, event: 'echo' })
}

/**
 * What must hold after every generated input: the well-behaved connections
 * still get answers (an echo each, a keepalive on one) and the control
 * connection answers `status` from the same process.
 */
export async function checkpoint(daemon: FuzzDaemon): Promise<void> {
  for (const n of daemon.neighbours) await echoRoundTrip(n)
  const first = daemon.neighbours[0]!
  first.send('2')
  await frameMatching(first, (f) => f === '3', 'keepalive on a neighbour')
  const status = await controlCall<StatusResult>(daemon, 'status')
  expect(status.pid).toBe(daemon.started.pid)
  expect(status.state).toBe('running')
  expect(daemon.controlClosed).toBe(false)
}

/**
 * After the fuzz: a new connection gets the sample app's answer and the
 * keepalive, the CLI sees the same daemon, every fuzz connection is gone, the
 * heap is back near where it was, and the control connection never dropped.
 */
export async function afterFuzz(daemon: FuzzDaemon): Promise<void> {
  const fresh = await TestClient.connect(daemon.url)
  expect(await within(fresh.ask({ method: 'index.index.index' }, 'success'), HANG_MS, 'index.index.index')).toEqual({
    status: 200,
    event: 'success',
    info: '执行完成',
  })
  fresh.send('2')
  expect(await frameMatching(fresh, (f) => !f.startsWith('{'), 'keepalive')).toBe('3')
  fresh.close()
  await fresh.closed()

  const cli = await cliJson<StatusResult>(daemon.project, ['status'])
  expect(cli.exitCode).toBe(0)
  expect(cli.json).toMatchObject({ running: true, state: 'running', pid: daemon.started.pid })

  // Closes finish on the daemon's side a moment after ours: poll, no sleep.
  const settled = await poll(
    () => controlCall<StatusResult>(daemon, 'status'),
    (s) => s.connections === daemon.neighbours.length,
  )
  expect(settled.connections).toBe(daemon.neighbours.length)

  const heapBound = daemon.baseline.memory.heapUsed + HEAP_SLACK
  const rssBound = daemon.baseline.memory.rss + RSS_SLACK
  const memory = await poll(
    () => controlCall<StatusResult>(daemon, 'status'),
    (s) => s.memory.heapUsed <= heapBound && s.memory.rss <= rssBound,
  )
  expect(memory.memory.heapUsed, `heap ${memory.memory.heapUsed} vs baseline ${daemon.baseline.memory.heapUsed}`).toBeLessThanOrEqual(
    heapBound,
  )
  expect(memory.memory.rss, `rss ${memory.memory.rss} vs baseline ${daemon.baseline.memory.rss}`).toBeLessThanOrEqual(rssBound)

  for (const n of daemon.neighbours) await echoRoundTrip(n)
  const last = await controlCall<StatusResult>(daemon, 'status')
  expect(last.pid).toBe(daemon.started.pid)
  expect(daemon.controlClosed).toBe(false)
}
