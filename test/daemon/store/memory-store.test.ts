import { afterEach, describe, expect, it, vi } from 'vitest'
import { MemoryKeyspace, MemoryStore } from '../../../src/daemon/store/memory-store.js'
import { MswError } from '../../../src/errors.js'
import { storeSuite } from './store-suite.js'

/** A clock that runs with real time and can be moved forward. */
function movableClock(): { clock: () => number; advance: (ms: number) => void } {
  let offset = 0
  return {
    clock: () => performance.now() + offset,
    advance: (ms) => {
      offset += ms
    },
  }
}

// Real time, as on Redis: exercises the suite's ttl() polling path.
{
  const keyspace = new MemoryKeyspace()
  storeSuite('memory', async (prefix) => new MemoryStore({ prefix, keyspace }))
}

// The same contract with the clock moved instead of waited for.
{
  const keyspace = new MemoryKeyspace()
  const { clock, advance } = movableClock()
  storeSuite('memory (moved clock)', async (prefix) => new MemoryStore({ prefix, keyspace, clock }), { advanceTime: advance })
}

describe('MemoryStore', () => {
  const stores: MemoryStore[] = []
  const open = (options: ConstructorParameters<typeof MemoryStore>[0]): MemoryStore => {
    const store = new MemoryStore(options)
    stores.push(store)
    return store
  }
  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close()
  })

  it('has kind "memory" and the default prefix "mswoole:"', async () => {
    const keyspace = new MemoryKeyspace()
    const store = open({ keyspace })
    expect(store.kind).toBe('memory')
    await store.set('k', 'v')
    expect([...keyspace.entries.keys()]).toEqual(['mswoole:k'])
  })

  it('names the caller’s key, not the prefixed one, in a WRONGTYPE error', async () => {
    const store = open({ prefix: 'p:' })
    await store.sadd('room', '1')
    const error = await store.get('room').catch((err: unknown) => err)
    expect(error).toBeInstanceOf(MswError)
    expect((error as MswError).details).toEqual({ key: 'room' })
  })

  it("gives a set's members back as the text they were added as, decimal integers and the rest", async () => {
    const store = open({})
    await store.sadd('room', '12', '012', '12.0', '4294967296', 'x')
    expect((await store.smembers('room')).sort()).toEqual(['012', '12', '12.0', '4294967296', 'x'])
    expect(await store.sismember('room', '12')).toBe(true)
    expect(await store.sismember('room', '0012')).toBe(false)
    // A number slipped in by a caller counts as its text, as in Redis.
    expect(await store.sadd('room', 12 as unknown as string)).toBe(0)
    expect(await store.srem('room', '12', '012')).toBe(2)
    expect(await store.smembers('room')).toEqual(expect.arrayContaining(['12.0', '4294967296', 'x']))
  })

  it('ttl rounds the remaining time to the nearest second, as Redis does', async () => {
    let now = 0
    const store = open({ clock: () => now })
    await store.set('k', 'v', { ttl: 10 })
    expect(await store.ttl('k')).toBe(10)
    now = 400 // 9.6 s left
    expect(await store.ttl('k')).toBe(10)
    now = 600 // 9.4 s left
    expect(await store.ttl('k')).toBe(9)
    now = 9600 // 0.4 s left: still there
    expect(await store.ttl('k')).toBe(0)
    now = 10_000 // exactly at the deadline: Redis expires only once it has passed
    expect(await store.get('k')).toBe('v')
    now = 10_001
    expect(await store.ttl('k')).toBe(-2)
  })

  it('the sweep removes expired keys of every type without their being accessed', async () => {
    const { clock, advance } = movableClock()
    const store = open({ clock, sweepIntervalMs: 5 })
    await store.set('str', 'v', { ttl: 1 })
    await store.hset('hash', 'f', 'v')
    await store.expire('hash', 1)
    await store.sadd('set', 'm')
    await store.expire('set', 2)
    await store.rpush('list', 'x')
    await store.expire('list', 60)
    await store.set('forever', 'v')
    expect(store.keyspace.size).toBe(5)

    advance(2001)
    await vi.waitFor(() => expect(store.keyspace.size).toBe(2), { timeout: 5000, interval: 10 })
    expect(store.keyspace.volatile.size).toBe(1) // only 'list' still carries a ttl
    expect(await store.lrange('list', 0, -1)).toEqual(['x'])
    expect(await store.get('forever')).toBe('v')
  })

  it('a sweep stops at its budget and the next one resumes where it stopped', () => {
    const keyspace = new MemoryKeyspace()
    for (let i = 0; i < 5; i++) keyspace.put(`k${i}`, { type: 'string', value: 'v', expireAt: 10 })
    keyspace.put('later', { type: 'string', value: 'v', expireAt: 1000 })
    keyspace.put('forever', { type: 'string', value: 'v', expireAt: Infinity })
    expect(keyspace.volatile.size).toBe(6)

    expect(keyspace.sweep(100, 2)).toBe(2)
    expect(keyspace.sweep(100, 2)).toBe(2)
    expect(keyspace.sweep(100, 2)).toBe(1) // k4, then 'later' is checked and kept
    expect(keyspace.sweep(100, 2)).toBe(0) // end of the pass
    expect([...keyspace.entries.keys()].sort()).toEqual(['forever', 'later'])
    expect([...keyspace.volatile]).toEqual(['later'])
  })

  it('the sweep timer does not keep the process alive', () => {
    // Unref'd timers are not among the resources keeping the event loop alive.
    const timers = (): number => process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length
    const before = timers()
    open({ sweepIntervalMs: 1 })
    expect(timers()).toBe(before)
  })

  it('close() stops the sweep', async () => {
    // Fake timers: the sweep's ticks are counted, not waited for.
    vi.useFakeTimers()
    try {
      let reads = 0
      const { clock: movable, advance } = movableClock()
      const clock = (): number => {
        reads++
        return movable()
      }
      const store = open({ clock, sweepIntervalMs: 1 })
      await store.set('k', 'v', { ttl: 1 })
      // The sweep reads the clock on each tick: see it running first.
      const start = reads
      vi.advanceTimersByTime(3)
      expect(reads).toBeGreaterThan(start + 2)

      await store.close()
      await store.close() // a second close is harmless
      advance(5000)
      const stopped = reads
      vi.advanceTimersByTime(50) // fifty 1 ms intervals
      expect(reads).toBe(stopped)
      expect(store.keyspace.size).toBe(1) // expired, but nothing swept it
    } finally {
      vi.useRealTimers()
    }
  })
})
