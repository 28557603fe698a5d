import { EventEmitter, once } from 'node:events'
import type { AddressInfo } from 'node:net'
import pino from 'pino'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import WebSocket, { WebSocketServer } from 'ws'
import { Delivery } from '../../../src/daemon/clients/delivery.js'
import { Drain } from '../../../src/daemon/clients/drain.js'
import { LocalIndex } from '../../../src/daemon/clients/local-index.js'
import { ConnectionRegistry } from '../../../src/daemon/clients/registry.js'
import { DaemonStats } from '../../../src/daemon/stats.js'
import { CLOSE_CODES } from '../../../src/protocol/close-codes.js'

const RESTART = { code: CLOSE_CODES.SERVICE_RESTART, reason: 'service restart' }
/** How long a fake peer takes to answer a close frame. */
const HANDSHAKE_MS = 5

/** A stand-in for a client's WebSocket: notes when the server closed it, and answers the close a little later. */
class FakeSocket extends EventEmitter {
  closedAt: number | undefined
  closeCode: number | undefined

  constructor(readonly id: number) {
    super()
  }

  close(code: number, reason: string): void {
    this.closedAt = Date.now()
    this.closeCode = code
    setTimeout(() => this.emit('close', code, Buffer.from(reason)), HANDSHAKE_MS)
  }

  terminate(): void {
    this.emit('close', CLOSE_CODES.ABNORMAL, Buffer.alloc(0))
  }

  /** The client leaves on its own. */
  leave(): void {
    this.emit('close', CLOSE_CODES.GOING_AWAY, Buffer.alloc(0))
  }
}

function registryWith(count: number): { registry: ConnectionRegistry; sockets: FakeSocket[]; add: () => FakeSocket } {
  const registry = new ConnectionRegistry({ closeTimeoutMs: 2000, onHookError: () => undefined })
  const sockets: FakeSocket[] = []
  const add = (): FakeSocket => {
    const socket = new FakeSocket(sockets.length)
    sockets.push(socket)
    registry.add(socket as unknown as WebSocket, { ip: '127.0.0.1', auth: undefined, code: '' })
    return socket
  }
  for (let i = 0; i < count; i++) add()
  return { registry, sockets, add }
}

/** The most closes that fall within any `spanMs` of one another. */
function busiest(times: number[], spanMs: number): number {
  const sorted = [...times].sort((a, b) => a - b)
  let most = 0
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while ((sorted[i] as number) - (sorted[j] as number) >= spanMs) j++
    most = Math.max(most, i - j + 1)
  }
  return most
}

describe('Drain: when each client is closed', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 })
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('closes 40 clients over 2 s one batch per tick, each with 1012, oldest first, never more than its share in a second', async () => {
    const { registry, sockets } = registryWith(40)
    const start = Date.now()
    const drain = new Drain(registry, { windowMs: 2000, ...RESTART })
    expect(sockets.every((s) => s.closedAt === undefined)).toBe(true)
    expect(drain.status()).toEqual({
      since: new Date(start).toISOString(),
      closeBy: new Date(start + 2000).toISOString(),
      closed: 0,
      remaining: 40,
    })
    await vi.advanceTimersByTimeAsync(1000)
    expect(drain.status()).toMatchObject({ closed: 20, remaining: 20 })
    await vi.advanceTimersByTimeAsync(1000)
    const result = await drain.finished
    expect(result).toEqual({ seconds: 2, closedConnections: 40, durationMs: 1975, cutShort: false })

    expect(sockets.map((s) => s.closeCode)).toEqual(sockets.map(() => 1012))
    const times = sockets.map((s) => (s.closedAt as number) - start)
    // Oldest first, the k-th at (k - ½)/40 of the window: 25 ms, 75 ms, … 1975 ms.
    expect(times).toEqual(sockets.map((_, k) => 25 + 50 * k))
    expect(busiest(times, 1000)).toBeLessThanOrEqual(20)
    expect(registry.size).toBe(0)
  })

  it('closes 1000 clients over 4 s in batches of about 13, never much more than 250 in a second', async () => {
    const { registry, sockets } = registryWith(1000)
    const start = Date.now()
    const drain = new Drain(registry, { windowMs: 4000, ...RESTART })
    await vi.advanceTimersByTimeAsync(4000)
    expect(await drain.finished).toMatchObject({ closedConnections: 1000, cutShort: false })
    const times = sockets.map((s) => (s.closedAt as number) - start)
    const perBatch = new Map<number, number>()
    for (const t of times) perBatch.set(t, (perBatch.get(t) ?? 0) + 1)
    // A batch every 50 ms (80 in the window), each its share of the 1000.
    expect(perBatch.size).toBeGreaterThanOrEqual(79)
    expect(Math.max(...perBatch.values())).toBeLessThanOrEqual(13)
    expect(busiest(times, 1000)).toBeLessThanOrEqual(250 + 13)
    expect(Math.max(...times)).toBeLessThanOrEqual(4000)
  })

  it('spreads a few clients over a long window and ends once none is open', async () => {
    const { registry, sockets } = registryWith(3)
    const start = Date.now()
    const drain = new Drain(registry, { windowMs: 60_000, ...RESTART })
    await vi.advanceTimersByTimeAsync(60_000)
    expect(sockets.map((s) => (s.closedAt as number) - start)).toEqual([10_000, 30_000, 50_000])
    expect(await drain.finished).toEqual({ seconds: 60, closedConnections: 3, durationMs: 50_000, cutShort: false })
  })

  it('ends at once when there is no client', async () => {
    const { registry } = registryWith(0)
    const drain = new Drain(registry, { windowMs: 3_600_000, ...RESTART })
    expect(await drain.finished).toEqual({ seconds: 3600, closedConnections: 0, durationMs: 0, cutShort: false })
  })

  it('closes what is left at once when cut short, and never lengthens', async () => {
    const { registry, sockets } = registryWith(10)
    const start = Date.now()
    const drain = new Drain(registry, { windowMs: 10_000, ...RESTART })
    await vi.advanceTimersByTimeAsync(2000)
    expect(drain.status().closed).toBe(2)
    expect(drain.shorten(60)).toBe(false)
    expect(drain.status().closeBy).toBe(new Date(start + 10_000).toISOString())
    expect(drain.shorten(0)).toBe(true)
    // In the same turn: every client left has its close.
    expect(sockets.filter((s) => s.closedAt === start + 2000)).toHaveLength(8)
    expect(await drain.finished).toEqual({ seconds: 10, closedConnections: 10, durationMs: 2000, cutShort: true })
    expect(drain.shorten(0)).toBe(false)
  })

  it('spreads the clients left over a shorter window when brought forward', async () => {
    const { registry, sockets } = registryWith(20)
    const start = Date.now()
    const drain = new Drain(registry, { windowMs: 100_000, ...RESTART })
    await vi.advanceTimersByTimeAsync(10_000)
    expect(drain.status().closed).toBe(2)
    expect(drain.shorten(9)).toBe(true)
    expect(drain.status().closeBy).toBe(new Date(start + 19_000).toISOString())
    await vi.advanceTimersByTimeAsync(9000)
    expect(await drain.finished).toMatchObject({ closedConnections: 20, cutShort: true })
    // The 18 left went one every half second from the 10th second: (k - ½)/18 of 9 s.
    const late = sockets.slice(2).map((s) => (s.closedAt as number) - start - 10_000)
    expect(late).toEqual(late.map((_, k) => 250 + 500 * k))
  })

  it('counts clients that leave on their own out, and closes one that arrives meanwhile', async () => {
    const { registry, sockets, add } = registryWith(4)
    const start = Date.now()
    const drain = new Drain(registry, { windowMs: 4000, ...RESTART })
    sockets[3]?.leave()
    await vi.advanceTimersByTimeAsync(1000)
    const late = add()
    await vi.advanceTimersByTimeAsync(3000)
    const result = await drain.finished
    expect(result.closedConnections).toBe(4)
    expect(sockets[3]?.closeCode).toBeUndefined()
    expect(late.closeCode).toBe(1012)
    expect((late.closedAt as number) - start).toBeLessThanOrEqual(4000)
    expect(registry.size).toBe(0)
  })
})

describe('Drain: what a client was sent before its close', () => {
  const servers: WebSocketServer[] = []
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))))
  })

  it('delivers frames written in the same turn as the close before the close frame', async () => {
    const server = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false })
    servers.push(server)
    await once(server, 'listening')
    const registry = new ConnectionRegistry({ closeTimeoutMs: 2000, onHookError: () => undefined })
    const delivery = new Delivery({
      registry,
      index: new LocalIndex(),
      maxBufferedBytes: 1 << 24,
      stats: new DaemonStats(),
      logger: pino({ level: 'silent' }),
    })
    const opened = new Promise<void>((resolve) => {
      let count = 0
      server.on('connection', (ws) => {
        registry.add(ws, { ip: '127.0.0.1', auth: undefined, code: '' })
        if (++count === 5) resolve()
      })
    })
    const { port } = server.address() as AddressInfo
    const clients = await Promise.all(
      Array.from({ length: 5 }, async () => {
        const ws = new WebSocket(`ws://127.0.0.1:${port}/`)
        const seen: string[] = []
        ws.on('message', (data) => seen.push(String(data)))
        const closed = new Promise<void>((resolve) =>
          ws.once('close', (code, reason) => {
            seen.push(`close ${code} ${reason.toString()}`)
            resolve()
          }),
        )
        await once(ws, 'open')
        return { seen, closed }
      }),
    )
    await opened

    // One turn: three messages to everyone, then a drain with no time left, which closes everyone at once.
    for (const text of ['one', 'two', 'three']) delivery.toAll(text)
    const drain = new Drain(registry, { windowMs: 0, ...RESTART })
    expect(registry.openCount).toBe(0)
    expect(await drain.finished).toMatchObject({ closedConnections: 5 })

    await Promise.all(clients.map((c) => c.closed))
    for (const client of clients) expect(client.seen).toEqual(['one', 'two', 'three', 'close 1012 service restart'])
  })
})
