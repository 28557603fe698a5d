import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import {
  MswClient,
  type ClientOptions,
  type CloseInfo,
  type Envelope,
  type JoinContext,
  type Recovered,
  type WebSocketLike,
} from 'mswoole/client'

/**
 * The client wrapper against a socket the test drives: reconnect timing,
 * recovery order, duplicates, the queue and the keepalive, on a fake clock.
 * test/client/reconnect.test.ts runs it against a real daemon.
 */

class FakeSocket implements WebSocketLike {
  static all: FakeSocket[] = []
  readyState = 0
  readonly sent: string[] = []
  closedWith: { code?: number; reason?: string } | undefined
  onopen: ((event: unknown) => void) | null = null
  onmessage: ((event: { data: unknown }) => void) | null = null
  onclose: ((event: { code: number; reason: string }) => void) | null = null
  onerror: ((event: unknown) => void) | null = null

  constructor(readonly url: string) {
    FakeSocket.all.push(this)
  }

  send(data: string): void {
    if (this.readyState !== 1) throw new Error('not open')
    this.sent.push(data)
  }

  close(code?: number, reason?: string): void {
    this.closedWith = { code, reason }
    this.readyState = 3
  }

  /** What the server does. */
  open(): void {
    this.readyState = 1
    this.onopen?.({})
  }

  receive(frame: unknown): void {
    this.onmessage?.({ data: typeof frame === 'string' ? frame : JSON.stringify(frame) })
  }

  drop(code = 1006, reason = ''): void {
    this.readyState = 3
    this.onclose?.({ code, reason })
  }

  /** The JSON messages sent, keepalives left out. */
  get messages(): Array<Record<string, unknown>> {
    return this.sent.filter((s) => s.startsWith('{')).map((s) => JSON.parse(s) as Record<string, unknown>)
  }
}

const EPOCH = 'e1'
const ROOM = 'live:user:expo'
const message = (offset: number, room = ROOM, epoch = EPOCH) => ({
  status: 200,
  event: 'tick',
  info: `m${offset}`,
  seq: { room, epoch, offset },
})
const recovered = (param: Record<string, unknown>, status = 200) => ({
  status,
  event: 'recovered',
  info: 'x',
  param: { room: ROOM, ...param },
})

/** A client on fake sockets, and what its app was told. */
function start(options: ClientOptions = {}) {
  const client = new MswClient('ws://h/?auth=t', { WebSocket: FakeSocket, ...options })
  const got: Envelope[] = []
  const recoveries: Recovered[] = []
  const closes: CloseInfo[] = []
  const opens: boolean[] = []
  const errors: Error[] = []
  client.on('message', (e) => got.push(e))
  client.on('recovered', (r) => recoveries.push(r))
  client.on('close', (c) => closes.push(c))
  client.on('open', (o) => opens.push(o.reconnect))
  client.on('error', (e) => errors.push(e))
  return { client, got, recoveries, closes, opens, errors, infos: () => got.filter((e) => e.event === 'tick').map((e) => e.info) }
}

const latest = (): FakeSocket => FakeSocket.all.at(-1)!
/** Lets the join hook's promises settle. */
const settle = () => vi.advanceTimersByTimeAsync(0)

beforeEach(() => {
  FakeSocket.all = []
  vi.useFakeTimers()
})

afterEach(() => {
  vi.useRealTimers()
  vi.restoreAllMocks()
})

describe('the client wrapper', () => {
  it('waits a random time below a doubling cap between attempts, and starts again after a connection that lived', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.999)
    const { client, closes } = start({ minDelay: 1000, maxDelay: 8000, stableAfter: 10_000 })
    for (let i = 0; i < 6; i++) {
      latest().drop()
      await vi.advanceTimersByTimeAsync(closes.at(-1)!.retryIn!)
    }
    expect(closes.map((c) => c.retryIn)).toEqual([999, 1998, 3996, 7992, 7992, 7992])
    expect(FakeSocket.all).toHaveLength(7)

    // Up for longer than stableAfter: the next wait is below minDelay again.
    latest().open()
    await settle()
    await vi.advanceTimersByTimeAsync(10_000)
    latest().drop()
    expect(closes.at(-1)!.retryIn).toBe(999)

    // Full jitter: any wait from 0 to the cap.
    vi.spyOn(Math, 'random').mockReturnValue(0)
    await vi.advanceTimersByTimeAsync(999)
    latest().drop()
    expect(closes.at(-1)!.retryIn).toBe(0)
    client.close()
  })

  it('spreads the clients of a server that goes away or restarts over restartDelay, and keeps the short wait for other closes', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.999)
    const { client, closes } = start({ minDelay: 1000, maxDelay: 8000, restartDelay: 20_000 })
    for (const code of [1012, 1001, 1006]) {
      latest().open()
      await settle()
      latest().drop(code)
      await vi.advanceTimersByTimeAsync(closes.at(-1)!.retryIn!)
    }
    // The restart waits leave the backoff where it was: the plain drop after them waits below minDelay.
    expect(closes.map((c) => [c.code, c.retryIn])).toEqual([
      [1012, 19_980],
      [1001, 19_980],
      [1006, 999],
    ])
    client.close()
  })

  it('joins, recovers each room it has a position for, then sends the queue, and gives the app each message once and in order', async () => {
    const join = vi.fn(async (context: JoinContext) => {
      context.send({ method: 'live.user.join' })
      await context.next('userJoinSuccess')
    })
    const { client, infos, recoveries, opens } = start({ join })
    latest().open()
    await settle()
    latest().receive({ status: 200, event: 'userJoinSuccess', info: 'ok' })
    await settle()
    expect(opens).toEqual([false])
    for (const offset of [1, 2, 3]) latest().receive(message(offset))
    // The same message twice (as a replay overlapping a live send would be) reaches the app once.
    latest().receive(message(3))
    expect(infos()).toEqual(['m1', 'm2', 'm3'])
    expect(client.positions()).toEqual({ [ROOM]: { epoch: EPOCH, offset: 3 } })

    latest().drop()
    expect(client.send({ method: 'live.user.say', say: 'while away' })).toBe(true)
    await vi.runOnlyPendingTimersAsync()
    const second = latest()
    second.open()
    await settle()
    // Until the join is answered, nothing but the join goes out.
    expect(second.messages).toEqual([{ method: 'live.user.join' }])
    // A live message of the room that reached the new connection before its @recover: held back.
    second.receive(message(6))
    second.receive({ status: 200, event: 'userJoinSuccess', info: 'ok' })
    await settle()
    expect(second.messages.slice(1)).toEqual([
      { method: '@recover', room: ROOM, epoch: EPOCH, offset: 3 },
      { method: 'live.user.say', say: 'while away' },
    ])
    expect(join.mock.calls.map(([context]) => context.reconnect)).toEqual([false, true])

    // Then the replay of 4 and 5.
    second.receive(message(4))
    second.receive(message(5))
    expect(infos()).toEqual(['m1', 'm2', 'm3'])
    second.receive(recovered({ recovered: true, count: 2, epoch: EPOCH, offset: 6 }))
    expect(infos()).toEqual(['m1', 'm2', 'm3', 'm4', 'm5', 'm6'])
    expect(recoveries).toEqual([{ room: ROOM, recovered: true, count: 2, epoch: EPOCH, offset: 6, status: 200, info: 'x' }])
    second.receive(message(6))
    second.receive(message(7))
    expect(infos()).toEqual(['m1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7'])
    expect(opens).toEqual([false, true])
    client.close()
  })

  it('reports a hole the replay left as recovered: false with gap, and moves on from the position the daemon gives', async () => {
    const { client, infos, recoveries } = start()
    latest().open()
    await settle()
    latest().receive(message(5))
    latest().drop()
    await vi.runOnlyPendingTimersAsync()
    latest().open()
    await settle()
    latest().receive(message(8))
    latest().receive(recovered({ recovered: true, count: 0, epoch: EPOCH, offset: 8 }))
    expect(infos()).toEqual(['m5', 'm8'])
    expect(recoveries.at(-1)).toMatchObject({ recovered: false, gap: true })

    // The history no longer holds what followed: no replay, the current position.
    latest().drop()
    await vi.runOnlyPendingTimersAsync()
    latest().open()
    await settle()
    latest().receive(recovered({ recovered: false, epoch: 'e2', offset: 40 }))
    expect(client.positions()[ROOM]).toEqual({ epoch: 'e2', offset: 40 })
    latest().receive(message(40, ROOM, 'e2'))
    latest().receive(message(41, ROOM, 'e2'))
    expect(infos()).toEqual(['m5', 'm8', 'm41'])
    expect(recoveries.at(-1)).toMatchObject({ recovered: false, epoch: 'e2', offset: 40 })
    client.close()
  })

  it('forgets a room it is refused (403), and gives up on an unanswered @recover after recoverTimeout', async () => {
    const { client, recoveries } = start({ recoverTimeout: 5000 })
    latest().open()
    await settle()
    latest().receive(message(1))
    latest().receive(message(1, 'other'))
    latest().drop()
    await vi.runOnlyPendingTimersAsync()
    latest().open()
    await settle()
    latest().receive(recovered({ recovered: false }, 403))
    expect(Object.keys(client.positions())).toEqual(['other'])
    await vi.advanceTimersByTimeAsync(5000)
    expect(recoveries.map((r) => [r.room, r.status, r.recovered])).toEqual([
      [ROOM, 403, false],
      ['other', 0, false],
    ])
    // Kept: the next reconnect asks again.
    expect(client.positions()).toEqual({ other: { epoch: EPOCH, offset: 1 } })
    client.close()
  })

  it('queues at most `queue` messages while not open, or refuses them with queue 0; after close() it sends nothing', async () => {
    const queued = start({ queue: 2 })
    expect(queued.client.send({ a: 1 })).toBe(true)
    expect(queued.client.send('raw')).toBe(true)
    expect(queued.client.send({ a: 3 })).toBe(false)
    latest().open()
    await settle()
    expect(latest().sent).toEqual(['{"a":1}', 'raw'])
    queued.client.close()
    expect(queued.client.send({ a: 4 })).toBe(false)
    expect(queued.client.state).toBe('closed')
    expect(queued.closes.at(-1)).toEqual({ code: 1000, reason: '', retryIn: null })
    await vi.advanceTimersByTimeAsync(60_000)
    expect(FakeSocket.all).toHaveLength(1)

    const refusing = start({ queue: 0 })
    expect(refusing.client.send({ a: 1 })).toBe(false)
    latest().open()
    await settle()
    expect(refusing.client.send({ a: 2 })).toBe(true)
    expect(latest().sent).toEqual(['{"a":2}'])
    refusing.client.close()
  })

  it('pings with "2" and drops a connection that answers nothing until the next ping', async () => {
    const { client, closes } = start({ keepalive: 25_000 })
    const socket = latest()
    socket.open()
    await settle()
    await vi.advanceTimersByTimeAsync(25_000)
    expect(socket.sent).toEqual(['2'])
    socket.receive('3')
    await vi.advanceTimersByTimeAsync(25_000)
    expect(socket.sent).toEqual(['2', '2'])
    expect(closes).toEqual([])
    await vi.advanceTimersByTimeAsync(25_000)
    expect(closes).toHaveLength(1)
    expect(closes[0]).toMatchObject({ code: 4000, reason: 'keepalive unanswered' })
    expect(socket.closedWith).toEqual({ code: 4000, reason: 'keepalive unanswered' })
    client.close()
  })

  it('drops the connection and tries again when the join hook fails', async () => {
    const { client, errors, closes, opens } = start({ join: (context) => context.next('never', 1000) })
    latest().open()
    await vi.advanceTimersByTimeAsync(1000)
    expect(errors.map((e) => e.message)).toEqual(['mswoole-client: nothing matched within 1000 ms'])
    expect(closes).toHaveLength(1)
    expect(opens).toEqual([])
    expect(client.state).toBe('connecting')
    client.close()
  })

  it('needs a WebSocket: the global one, or one passed in', () => {
    vi.stubGlobal('WebSocket', undefined)
    try {
      expect(() => new MswClient('ws://h/')).toThrow(/pass one as options.WebSocket/)
    } finally {
      vi.unstubAllGlobals()
    }
  })
})
