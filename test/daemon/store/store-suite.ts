import { randomUUID } from 'node:crypto'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Store } from '../../../src/daemon/store/store.js'
import { MswError, type ErrorCode } from '../../../src/errors.js'

export interface StoreSuiteOptions {
  /**
   * Moves the store's clock forward. Without it, expiry tests use real 1-second
   * TTLs (as they must on a real Redis) and poll `ttl()` until the key is gone.
   */
  advanceTime?: (ms: number) => void | Promise<void>
}

/**
 * The behaviour every Store must have. `make(prefix)` returns a store whose keys
 * live under `prefix`; stores made by one factory must share one backend (one
 * Redis database, one memory keyspace) so prefix isolation means something.
 * Only Redis-compatible behaviour is asserted: the suite also runs on Redis.
 */
export function storeSuite(name: string, make: (prefix: string) => Promise<Store>, options: StoreSuiteOptions = {}): void {
  // Every key name the suite uses, so afterEach can leave a shared Redis clean.
  const KEYS = ['str', 'num', 'hash', 'set', 'list', 'other', 'k', 'a', 'b', 'c', 'missing'] as const

  describe(`store: ${name}`, () => {
    let base: string
    let store: Store

    beforeEach(async () => {
      base = `mswoole-test:${randomUUID().slice(0, 8)}:`
      store = await make(base)
    })

    afterEach(async () => {
      await store.del(...KEYS)
      await store.close()
    })

    /** Waits until every key is gone: by moving the clock if the store allows, else by polling `ttl()`. */
    async function awaitExpiry(keys: readonly string[], seconds: number): Promise<void> {
      if (options.advanceTime) await options.advanceTime(seconds * 1000 + 1)
      for (const key of keys) {
        // Bounded: a key with a 1 s TTL is gone well before 200 polls of 50 ms.
        let attempts = 0
        while ((await store.ttl(key)) !== -2) {
          if (++attempts > 200) throw new Error(`key ${key} did not expire`)
          await new Promise((resolve) => setTimeout(resolve, 50))
        }
      }
    }

    describe('strings', () => {
      it('get answers null for a missing key and the value after set', async () => {
        expect(await store.get('str')).toBeNull()
        await store.set('str', 'hello')
        expect(await store.get('str')).toBe('hello')
        await store.set('str', 'world')
        expect(await store.get('str')).toBe('world')
      })

      it('keeps empty and non-ASCII strings as they are', async () => {
        await store.set('str', '')
        expect(await store.get('str')).toBe('')
        await store.set('other', 'héllo wörld ✓ 🎉\n"quoted"')
        expect(await store.get('other')).toBe('héllo wörld ✓ 🎉\n"quoted"')
      })

      it('set replaces a key of any type', async () => {
        await store.rpush('list', 'a')
        await store.set('list', 'now a string')
        expect(await store.get('list')).toBe('now a string')
        await expectCode(store.llen('list'), 'MSW_ERR_STORE_WRONGTYPE')
      })

      it('incr starts a missing key at 0 and adds the increment', async () => {
        expect(await store.incr('num')).toBe(1)
        expect(await store.incr('num')).toBe(2)
        expect(await store.incr('num', 10)).toBe(12)
        expect(await store.incr('num', -20)).toBe(-8)
        expect(await store.get('num')).toBe('-8')
        await store.set('str', '41')
        expect(await store.incr('str')).toBe(42)
        expect(await store.get('str')).toBe('42')
      })

      it('incr refuses a value that is not a canonical integer and leaves it unchanged', async () => {
        for (const value of ['abc', '1.5', '', ' 1', '1 ', '01', '+1', '-0', '1e3', '99999999999999999999']) {
          await store.set('str', value)
          await expectCode(store.incr('str'), 'MSW_ERR_STORE_NOT_INTEGER')
          expect(await store.get('str')).toBe(value)
        }
      })

      it('incr works across the 64-bit range and refuses to overflow it', async () => {
        await store.set('num', '9223372036854775806')
        await store.incr('num')
        expect(await store.get('num')).toBe('9223372036854775807')
        await expectCode(store.incr('num'), 'MSW_ERR_STORE_NOT_INTEGER')
        expect(await store.get('num')).toBe('9223372036854775807')

        await store.set('num', '-9223372036854775807')
        await store.incr('num', -1)
        expect(await store.get('num')).toBe('-9223372036854775808')
        await expectCode(store.incr('num', -1), 'MSW_ERR_STORE_NOT_INTEGER')

        await store.set('num', '9007199254740991') // 2^53 - 1: the next integers are not exact doubles
        await store.incr('num', 2)
        expect(await store.get('num')).toBe('9007199254740993')
      })

      it('incr refuses an increment that is not a whole number', async () => {
        await expectCode(store.incr('num', 1.5), 'MSW_ERR_INVALID_ARGUMENT')
        expect(await store.get('num')).toBeNull()
      })
    })

    describe('keys', () => {
      it('del answers how many keys it removed, of any type', async () => {
        expect(await store.del('missing')).toBe(0)
        expect(await store.del()).toBe(0)
        await store.set('str', 'v')
        await store.hset('hash', 'f', 'v')
        await store.sadd('set', 'm')
        await store.rpush('list', 'x')
        expect(await store.del('str', 'hash', 'missing', 'set', 'list')).toBe(4)
        for (const key of ['str', 'hash', 'set', 'list']) expect(await store.ttl(key)).toBe(-2)
      })

      it('del counts a key named twice once', async () => {
        await store.set('k', 'v')
        expect(await store.del('k', 'k')).toBe(1)
      })
    })

    describe('hashes', () => {
      it('hset answers 1 for a new field and 0 for an update', async () => {
        expect(await store.hset('hash', 'f', 'v1')).toBe(1)
        expect(await store.hset('hash', 'f', 'v2')).toBe(0)
        expect(await store.hset('hash', 'g', 'w')).toBe(1)
        expect(await store.hget('hash', 'f')).toBe('v2')
        expect(await store.hget('hash', 'nope')).toBeNull()
        expect(await store.hget('missing', 'f')).toBeNull()
        expect(await store.hlen('hash')).toBe(2)
        expect(await store.hlen('missing')).toBe(0)
      })

      it('hgetall answers every field, or {} for a missing key', async () => {
        expect(await store.hgetall('missing')).toEqual({})
        await store.hset('hash', 'a', '1')
        await store.hset('hash', 'b', '')
        expect(await store.hgetall('hash')).toEqual({ a: '1', b: '' })
      })

      it('hgetall keeps fields named like Object.prototype members as plain fields', async () => {
        await store.hset('hash', '__proto__', 'p')
        await store.hset('hash', 'constructor', 'c')
        const all = await store.hgetall('hash')
        expect(Object.keys(all).sort()).toEqual(['__proto__', 'constructor'])
        expect(Object.getOwnPropertyDescriptor(all, '__proto__')?.value).toBe('p')
        expect(Object.getOwnPropertyDescriptor(all, 'constructor')?.value).toBe('c')
      })

      it('hdel answers how many fields it removed; the hash disappears when empty', async () => {
        await store.hset('hash', 'a', '1')
        await store.hset('hash', 'b', '2')
        expect(await store.hdel('hash', 'a', 'nope')).toBe(1)
        expect(await store.hdel('missing', 'a')).toBe(0)
        expect(await store.hdel('hash', 'b')).toBe(1)
        expect(await store.ttl('hash')).toBe(-2)
        expect(await store.hgetall('hash')).toEqual({})
      })
    })

    describe('sets', () => {
      it('sadd answers how many members were new', async () => {
        expect(await store.sadd('set', 'a', 'b', 'a')).toBe(2)
        expect(await store.sadd('set', 'b', 'c')).toBe(1)
        expect((await store.smembers('set')).sort()).toEqual(['a', 'b', 'c'])
        expect(await store.scard('set')).toBe(3)
        expect(await store.sismember('set', 'a')).toBe(true)
        expect(await store.sismember('set', 'z')).toBe(false)
      })

      it('reads of a missing set answer empty', async () => {
        expect(await store.smembers('missing')).toEqual([])
        expect(await store.scard('missing')).toBe(0)
        expect(await store.sismember('missing', 'a')).toBe(false)
        expect(await store.srem('missing', 'a')).toBe(0)
      })

      it('sadd with no members creates nothing', async () => {
        expect(await store.sadd('set')).toBe(0)
        expect(await store.ttl('set')).toBe(-2)
      })

      it('srem answers how many members it removed; the set disappears when empty', async () => {
        await store.sadd('set', 'a', 'b', 'c')
        expect(await store.srem('set', 'a', 'z')).toBe(1)
        expect(await store.srem('set', 'b', 'c')).toBe(2)
        expect(await store.ttl('set')).toBe(-2)
        expect(await store.smembers('set')).toEqual([])
      })
    })

    describe('lists', () => {
      it('lpush puts each value at the head in turn; rpush appends', async () => {
        expect(await store.lpush('list', 'a', 'b', 'c')).toBe(3)
        expect(await store.lrange('list', 0, -1)).toEqual(['c', 'b', 'a'])
        expect(await store.rpush('list', 'x', 'y')).toBe(5)
        expect(await store.lrange('list', 0, -1)).toEqual(['c', 'b', 'a', 'x', 'y'])
        expect(await store.llen('list')).toBe(5)
      })

      it('push with no values creates nothing and answers the length', async () => {
        expect(await store.lpush('list')).toBe(0)
        expect(await store.rpush('list')).toBe(0)
        expect(await store.ttl('list')).toBe(-2)
        await store.rpush('list', 'a')
        expect(await store.lpush('list')).toBe(1)
      })

      it('lpop and rpop take from each end; the list disappears when empty', async () => {
        expect(await store.lpop('missing')).toBeNull()
        expect(await store.rpop('missing')).toBeNull()
        await store.rpush('list', 'a', 'b', 'c')
        expect(await store.lpop('list')).toBe('a')
        expect(await store.rpop('list')).toBe('c')
        expect(await store.rpop('list')).toBe('b')
        expect(await store.ttl('list')).toBe(-2)
        expect(await store.llen('list')).toBe(0)
        expect(await store.lpop('list')).toBeNull()
      })

      it('reads of a missing list answer empty', async () => {
        expect(await store.lrange('missing', 0, -1)).toEqual([])
        expect(await store.llen('missing')).toBe(0)
        await store.ltrim('missing', 0, 1)
        expect(await store.ttl('missing')).toBe(-2)
      })

      // [start, stop, what lrange answers on a b c d e]: inclusive, negative from the end, clamped.
      const ranges: Array<[number, number, string[]]> = [
        [0, -1, ['a', 'b', 'c', 'd', 'e']],
        [0, 0, ['a']],
        [1, 2, ['b', 'c']],
        [-2, -1, ['d', 'e']],
        [-5, -5, ['a']],
        [-100, 1, ['a', 'b']],
        [3, 100, ['d', 'e']],
        [-100, 100, ['a', 'b', 'c', 'd', 'e']],
        [4, 4, ['e']],
        [5, 10, []],
        [2, 1, []],
        [-1, -2, []],
        [-6, -6, []],
        [0, -6, []],
      ]

      it.each(ranges)('lrange(%i, %i) follows Redis indexing', async (start, stop, expected) => {
        await store.rpush('list', 'a', 'b', 'c', 'd', 'e')
        expect(await store.lrange('list', start, stop)).toEqual(expected)
      })

      it.each(ranges)('ltrim(%i, %i) keeps what lrange answers; an empty result removes the key', async (start, stop, expected) => {
        await store.rpush('list', 'a', 'b', 'c', 'd', 'e')
        await store.ltrim('list', start, stop)
        expect(await store.lrange('list', 0, -1)).toEqual(expected)
        expect(await store.llen('list')).toBe(expected.length)
        if (expected.length === 0) expect(await store.ttl('list')).toBe(-2)
      })
    })

    describe('wrong type', () => {
      const seed: Record<string, (s: Store, key: string) => Promise<unknown>> = {
        string: (s, key) => s.set(key, '1'),
        hash: (s, key) => s.hset(key, 'f', 'v'),
        set: (s, key) => s.sadd(key, 'm'),
        list: (s, key) => s.rpush(key, 'x'),
      }
      const commands: Record<string, Record<string, (s: Store, key: string) => Promise<unknown>>> = {
        string: { get: (s, k) => s.get(k), incr: (s, k) => s.incr(k) },
        hash: {
          hget: (s, k) => s.hget(k, 'f'),
          hset: (s, k) => s.hset(k, 'f', 'v'),
          hdel: (s, k) => s.hdel(k, 'f'),
          hgetall: (s, k) => s.hgetall(k),
          hlen: (s, k) => s.hlen(k),
        },
        set: {
          sadd: (s, k) => s.sadd(k, 'm'),
          srem: (s, k) => s.srem(k, 'm'),
          smembers: (s, k) => s.smembers(k),
          sismember: (s, k) => s.sismember(k, 'm'),
          scard: (s, k) => s.scard(k),
        },
        list: {
          lpush: (s, k) => s.lpush(k, 'x'),
          rpush: (s, k) => s.rpush(k, 'x'),
          lpop: (s, k) => s.lpop(k),
          rpop: (s, k) => s.rpop(k),
          lrange: (s, k) => s.lrange(k, 0, -1),
          llen: (s, k) => s.llen(k),
          ltrim: (s, k) => s.ltrim(k, 0, -1),
        },
      }

      for (const [held, put] of Object.entries(seed)) {
        it(`a ${held} key refuses every other type's command and is left as it was`, async () => {
          await put(store, 'k')
          const before = await snapshot(store, held, 'k')
          for (const [type, table] of Object.entries(commands)) {
            if (type === held) continue
            for (const [command, run] of Object.entries(table)) {
              const error = await run(store, 'k').then(
                () => undefined,
                (err: unknown) => err,
              )
              expect(error, `${command} on a ${held}`).toBeInstanceOf(MswError)
              expect((error as MswError).code, `${command} on a ${held}`).toBe('MSW_ERR_STORE_WRONGTYPE')
              expect((error as MswError).message).toMatch(/WRONGTYPE/)
            }
          }
          expect(await snapshot(store, held, 'k')).toEqual(before)
        })
      }
    })

    describe('ttl', () => {
      it('answers -2 for a missing key and -1 for a key without expiry', async () => {
        expect(await store.ttl('missing')).toBe(-2)
        await store.set('str', 'v')
        expect(await store.ttl('str')).toBe(-1)
      })

      it('set with a ttl gives the key that many seconds', async () => {
        await store.set('str', 'v', { ttl: 100 })
        expect(await store.ttl('str')).toBeGreaterThanOrEqual(1)
        expect(await store.ttl('str')).toBeLessThanOrEqual(100)
      })

      it('set refuses a ttl that is not a positive whole number', async () => {
        for (const ttl of [0, -1, 1.5]) await expectCode(store.set('str', 'v', { ttl }), 'MSW_ERR_INVALID_ARGUMENT')
        expect(await store.get('str')).toBeNull()
      })

      it('set without a ttl clears the one the key had', async () => {
        await store.set('str', 'v', { ttl: 100 })
        await store.set('str', 'w')
        expect(await store.ttl('str')).toBe(-1)
      })

      it('expire answers false for a missing key and true for a key of any type', async () => {
        expect(await store.expire('missing', 100)).toBe(false)
        expect(await store.ttl('missing')).toBe(-2)
        await store.set('str', 'v')
        await store.hset('hash', 'f', 'v')
        await store.sadd('set', 'm')
        await store.rpush('list', 'x')
        for (const key of ['str', 'hash', 'set', 'list']) {
          expect(await store.expire(key, 100)).toBe(true)
          expect(await store.ttl(key)).toBeGreaterThanOrEqual(1)
          expect(await store.ttl(key)).toBeLessThanOrEqual(100)
        }
      })

      it('expire with 0 or less deletes the key', async () => {
        await store.set('str', 'v')
        await store.sadd('set', 'm')
        expect(await store.expire('str', 0)).toBe(true)
        expect(await store.expire('set', -5)).toBe(true)
        expect(await store.get('str')).toBeNull()
        expect(await store.ttl('set')).toBe(-2)
      })

      it('expire refuses a ttl that is not a whole number', async () => {
        await store.set('str', 'v')
        await expectCode(store.expire('str', 1.5), 'MSW_ERR_INVALID_ARGUMENT')
        expect(await store.ttl('str')).toBe(-1)
      })

      it('changing a value in place keeps its ttl', async () => {
        await store.set('num', '1', { ttl: 100 })
        await store.incr('num')
        await store.hset('hash', 'a', '1')
        await store.expire('hash', 100)
        await store.hset('hash', 'b', '2')
        await store.sadd('set', 'a')
        await store.expire('set', 100)
        await store.sadd('set', 'b')
        await store.rpush('list', 'a')
        await store.expire('list', 100)
        await store.lpush('list', 'b')
        for (const key of ['num', 'hash', 'set', 'list']) expect(await store.ttl(key)).toBeGreaterThanOrEqual(1)
      })

      it('a key that emptied and came back has no ttl', async () => {
        await store.rpush('list', 'a')
        await store.expire('list', 100)
        await store.lpop('list')
        await store.rpush('list', 'b')
        expect(await store.ttl('list')).toBe(-1)
      })

      it('keys of every type expire, and their names are free again', async () => {
        await store.set('str', 'v', { ttl: 1 })
        await store.set('num', '5')
        await store.expire('num', 1)
        await store.hset('hash', 'f', 'v')
        await store.expire('hash', 1)
        await store.sadd('set', 'm')
        await store.expire('set', 1)
        await store.rpush('list', 'x')
        await store.expire('list', 1)
        await store.set('other', 'stays')

        await awaitExpiry(['str', 'num', 'hash', 'set', 'list'], 1)

        expect(await store.get('str')).toBeNull()
        expect(await store.hgetall('hash')).toEqual({})
        expect(await store.smembers('set')).toEqual([])
        expect(await store.lrange('list', 0, -1)).toEqual([])
        expect(await store.del('str', 'hash', 'set', 'list')).toBe(0)
        expect(await store.expire('str', 100)).toBe(false)
        expect(await store.incr('num')).toBe(1) // starts again from 0
        expect(await store.get('other')).toBe('stays')
        // A name held by an expired key takes any type: no WRONGTYPE from the dead value.
        expect(await store.sadd('list', 'now-a-set')).toBe(1)
        expect(await store.ttl('list')).toBe(-1)
      })
    })

    describe('prefix', () => {
      it('stores with different prefixes over one backend do not see each other', async () => {
        const a = await make(`${base}a:`)
        const b = await make(`${base}b:`)
        try {
          await a.set('k', 'from a')
          await a.sadd('set', 'm')
          expect(await b.get('k')).toBeNull()
          expect(await b.smembers('set')).toEqual([])
          expect(await b.ttl('k')).toBe(-2)
          // Same name, other type, other prefix: no WRONGTYPE.
          expect(await b.hset('k', 'f', 'v')).toBe(1)
          expect(await b.del('k', 'set')).toBe(1)
          expect(await a.get('k')).toBe('from a')
          expect(await a.scard('set')).toBe(1)
        } finally {
          await a.del('k', 'set')
          await b.del('k', 'set')
          await a.close()
          await b.close()
        }
      })

      it('keeps a key under prefix + key', async () => {
        const nested = await make(`${base}nested:`)
        try {
          await nested.set('k', 'v')
          expect(await store.get('nested:k')).toBe('v')
          expect(await nested.get('nested:k')).toBeNull()
        } finally {
          await nested.del('k')
          await nested.close()
        }
      })
    })
  })
}

async function expectCode(promise: Promise<unknown>, code: ErrorCode): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (err: unknown) => err,
  )
  expect(error).toBeInstanceOf(MswError)
  expect((error as MswError).code).toBe(code)
}

/** Everything a key of `type` holds, read with that type's own commands. */
async function snapshot(store: Store, type: string, key: string): Promise<unknown> {
  switch (type) {
    case 'string':
      return store.get(key)
    case 'hash':
      return store.hgetall(key)
    case 'set':
      return (await store.smembers(key)).sort()
    default:
      return store.lrange(key, 0, -1)
  }
}
