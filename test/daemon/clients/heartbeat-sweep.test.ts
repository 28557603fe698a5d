import { afterEach, describe, expect, it, vi } from 'vitest'
import { clockNow } from '../../../src/daemon/clients/clock.js'
import type { Connection } from '../../../src/daemon/clients/connection.js'
import { startHeartbeat } from '../../../src/daemon/clients/heartbeat.js'
import type { ConnectionRegistry } from '../../../src/daemon/clients/registry.js'

afterEach(() => {
  vi.useRealTimers()
})

/** Runs what the next turn of the event loop would: the sweep's next slice (setImmediate) and nothing later. */
function nextTurn(): void {
  vi.advanceTimersToNextTimer()
}

/** Connections with a counted ping, in a registry that records its closes. */
function fakeRegistry(count: number, lastActiveAt: (fd: number) => number) {
  const byFd = new Map<number, Connection>()
  const pinged: number[] = []
  const closed: number[] = []
  const add = (fd: number) => {
    const connection = { fd, state: 'open', lastActiveAt: lastActiveAt(fd), ws: { ping: () => pinged.push(fd) } }
    byFd.set(fd, connection as unknown as Connection)
  }
  for (let fd = 1; fd <= count; fd++) add(fd)
  const registry = {
    values: () => byFd.values(),
    close: (connection: Connection) => {
      closed.push(connection.fd)
      byFd.delete(connection.fd)
    },
  } as unknown as ConnectionRegistry
  return { registry, byFd, add, pinged, closed }
}

describe('the heartbeat sweep', () => {
  it('pings a slice of the connections per turn, and reaches every one, those opened during the sweep too', () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'setImmediate', 'clearImmediate'] })
    const { registry, byFd, add, pinged } = fakeRegistry(1200, () => clockNow())
    const stop = startHeartbeat(registry, { idleSeconds: 60, checkSeconds: 10, slice: 500 })
    vi.advanceTimersByTime(10_000)
    expect(pinged).toHaveLength(500)
    // Between turns one connection closes and one opens: the sweep skips the one and reaches the other.
    ;(byFd.get(600) as { state: string }).state = 'closed'
    add(1201)
    nextTurn()
    // 500 looked at, the closed one among them.
    expect(pinged).toHaveLength(999)
    nextTurn()
    expect(pinged).toHaveLength(1200)
    expect(pinged).not.toContain(600)
    expect(pinged).toContain(1201)
    expect(new Set(pinged).size).toBe(1200)
    // Done: nothing left but the interval, whose next tick starts a sweep of its own.
    expect(vi.getTimerCount()).toBe(1)
    // The clock moving on runs that sweep's turns too: every open connection once more.
    vi.advanceTimersByTime(10_000)
    expect(pinged).toHaveLength(2400)
    stop()
  })

  it('closes the connections silent past the idle time and pings the rest', () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'setImmediate', 'clearImmediate'] })
    const now = clockNow()
    const { registry, pinged, closed } = fakeRegistry(10, (fd) => (fd % 2 === 0 ? now - 61_000 : now))
    const stop = startHeartbeat(registry, { idleSeconds: 60, checkSeconds: 1 })
    vi.advanceTimersByTime(1000)
    expect(closed).toEqual([2, 4, 6, 8, 10])
    expect(pinged).toEqual([1, 3, 5, 7, 9])
    stop()
  })

  it('stops a sweep under way when the heartbeat stops', () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'setImmediate', 'clearImmediate'] })
    const { registry, pinged } = fakeRegistry(1000, () => clockNow())
    const stop = startHeartbeat(registry, { idleSeconds: 60, checkSeconds: 10, slice: 300 })
    vi.advanceTimersByTime(10_000)
    expect(pinged).toHaveLength(300)
    stop()
    vi.runAllTimers()
    expect(pinged).toHaveLength(300)
  })
})
