import { randomUUID } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { execa } from 'execa'
import { Redis } from 'ioredis'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { MemoryStore } from '../../../src/daemon/store/memory-store.js'
import { RedisStore, type RedisConnectOptions } from '../../../src/daemon/store/redis-store.js'
import type { Store } from '../../../src/daemon/store/store.js'
import type { ErrorCode, MswError } from '../../../src/errors.js'
import { freePort, startRedisServer, type RedisServer } from '../../helpers/redis-server.js'
import { storeSuite } from './store-suite.js'

let server: RedisServer
beforeAll(async () => {
  server = await startRedisServer()
})
afterAll(async () => {
  await server?.stop()
})

// Every store of the suite talks to the one server, so prefix isolation is real.
storeSuite('redis', (prefix) => RedisStore.connect({ url: server.url, prefix }))

describe('RedisStore', () => {
  const stores: RedisStore[] = []
  const clients: Redis[] = []
  const open = async (options: Partial<RedisConnectOptions> = {}): Promise<RedisStore> => {
    const store = await RedisStore.connect({ url: server.url, prefix: uniquePrefix(), ...options })
    stores.push(store)
    return store
  }
  /** A plain client, to look at the server without the store's prefix. */
  const rawClient = (): Redis => {
    const client = new Redis(server.url)
    clients.push(client)
    return client
  }
  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close()
    for (const client of clients.splice(0)) client.disconnect()
  })

  it('has kind "redis" and keeps every key it touches under its prefix', async () => {
    const prefix = uniquePrefix()
    const store = await open({ prefix })
    const raw = rawClient()
    expect(store.kind).toBe('redis')
    await store.set('a', '1')
    await store.hset('b', 'f', 'v')
    await store.sadd('c', 'm')
    await store.rpush('d', 'x')
    expect((await raw.keys(`${prefix}*`)).sort()).toEqual(['a', 'b', 'c', 'd'].map((key) => prefix + key))

    // A key of the same name outside the prefix is not the store's to see or delete.
    await raw.set('a', 'outside')
    try {
      expect(await store.del('a', 'b', 'c', 'd')).toBe(4)
      expect(await raw.keys(`${prefix}*`)).toEqual([])
      expect(await raw.get('a')).toBe('outside')
    } finally {
      await raw.del('a')
    }
  })

  it('uses the prefix "mswoole:" when given none', async () => {
    const key = `redis-store-test:${randomUUID()}`
    const store = await open({ prefix: undefined })
    const raw = rawClient()
    await store.set(key, 'v')
    try {
      expect(await raw.get(`mswoole:${key}`)).toBe('v')
    } finally {
      await store.del(key)
    }
  })

  it('answers WRONGTYPE and NOT_INTEGER with the mswoole codes, naming the caller’s key', async () => {
    const store = await open()
    await store.sadd('room', '1')
    await expect(store.get('room')).rejects.toMatchObject(storeError('MSW_ERR_STORE_WRONGTYPE', { details: { key: 'room' } }))

    await store.set('count', 'ten')
    await expect(store.incr('count')).rejects.toMatchObject(storeError('MSW_ERR_STORE_NOT_INTEGER', { details: { key: 'count' } }))
    await store.del('room', 'count')
  })

  it('refuses the same arguments as the memory store', async () => {
    const redis = await open()
    const memory = new MemoryStore()
    try {
      const calls: Array<(store: Store) => Promise<unknown>> = [
        (s) => s.set('k', 'v', { ttl: 0 }),
        (s) => s.set('k', 'v', { ttl: 2.5 }),
        (s) => s.expire('k', Number.NaN),
        (s) => s.incr('k', 0.5),
        (s) => s.incr('k', Number.MAX_SAFE_INTEGER + 2),
        (s) => s.lrange('k', 0.5, 1),
        (s) => s.ltrim('k', 0, Infinity),
      ]
      for (const call of calls) {
        await expect(call(redis)).rejects.toMatchObject(storeError('MSW_ERR_INVALID_ARGUMENT'))
        await expect(call(memory)).rejects.toMatchObject(storeError('MSW_ERR_INVALID_ARGUMENT'))
      }
    } finally {
      await memory.close()
    }
  })

  it('answers list indexes past the 64-bit range as the memory store does', async () => {
    const redis = await open()
    const memory = new MemoryStore()
    try {
      for (const store of [redis, memory]) {
        await store.rpush('list', 'a', 'b', 'c')
        expect(await store.lrange('list', -1e21, 1e20)).toEqual(['a', 'b', 'c'])
        expect(await store.lrange('list', 1e20, 1e21)).toEqual([])
        await store.ltrim('list', -1e300, 1e300)
        expect(await store.llen('list')).toBe(3)
        await store.del('list')
      }
    } finally {
      await memory.close()
    }
  })

  it('answers set members as the text they were added as, as the memory store does', async () => {
    const redis = await open()
    const memory = new MemoryStore()
    try {
      const members = ['1', '0', '42', '007', '-1', '1e3', '999999999', '1000000000', ' 5', 'm']
      for (const store of [redis, memory]) {
        expect(await store.sadd('s', ...members, '42')).toBe(members.length)
        expect((await store.smembers('s')).sort()).toEqual([...members].sort())
        expect([await store.sismember('s', '007'), await store.sismember('s', '7'), await store.sismember('s', '42')]).toEqual([
          true,
          false,
          true,
        ])
        expect(await store.srem('s', '1', '7', '1e3')).toBe(2)
        expect(await store.scard('s')).toBe(members.length - 2)
        await store.del('s')
      }
    } finally {
      await memory.close()
    }
  })

  it('refuses the ioredis option keyPrefix: the store applies its own prefix', async () => {
    const connecting = RedisStore.connect({ url: server.url, options: { keyPrefix: 'x:' } })
    await expect(connecting).rejects.toMatchObject(storeError('MSW_ERR_INVALID_ARGUMENT'))
  })

  it('close() twice is harmless, and the store answers UNAVAILABLE afterwards', async () => {
    const store = await RedisStore.connect({ url: server.url, prefix: uniquePrefix() })
    await store.close()
    await store.close()
    await expect(store.ping()).rejects.toMatchObject(UNAVAILABLE)
    await expect(store.get('k')).rejects.toMatchObject(UNAVAILABLE)
  })

  it('fails with UNAVAILABLE when nothing listens, naming the URL without its password', async () => {
    const port = await freePort()
    const error = await RedisStore.connect({ url: `redis://user:s3cret@127.0.0.1:${port}`, timeoutMs: 300 }).catch((err: unknown) => err)
    expect(error).toMatchObject(UNAVAILABLE)
    const { message } = error as MswError
    expect(message).toContain(`redis://user@127.0.0.1:${port}`)
    expect(message).not.toContain('s3cret')
    expect(message).toContain('ECONNREFUSED')
  })

  it('leaves nothing running after a failed connect or a close: a process using it exits by itself', async () => {
    const port = await freePort()
    const module = fileURLToPath(new URL('../../../src/daemon/store/redis-store.ts', import.meta.url))
    const script = `
      const { RedisStore } = await import(${JSON.stringify(module)})
      const failed = await RedisStore.connect({ url: 'redis://127.0.0.1:${port}', timeoutMs: 300 }).then(() => 'connected', (err) => err.code)
      const store = await RedisStore.connect({ url: ${JSON.stringify(server.url)}, prefix: ${JSON.stringify(uniquePrefix())} })
      await store.set('k', 'v')
      const value = await store.get('k')
      await store.del('k')
      await store.close()
      console.log(JSON.stringify({ failed, value }))
    `
    // If a reconnecting client or a timer stayed behind, the child would never exit: execa's timeout turns that into a failure.
    const child = await execa(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: fileURLToPath(new URL('../../..', import.meta.url)),
      timeout: 30_000,
      reject: false,
    })
    expect(child.timedOut, 'the process did not exit by itself').toBe(false)
    expect(child.stderr).toBe('')
    expect(JSON.parse(child.stdout)).toEqual({ failed: 'MSW_ERR_STORE_UNAVAILABLE', value: 'v' })
    expect(child.exitCode).toBe(0)
  })

  it('fails fast with UNAVAILABLE while Redis is down, and the same store works again once it is back', async () => {
    const store = await open()
    await store.set('k', 'before')
    let restarted = false
    try {
      await server.stop()
      await expect(store.ping()).rejects.toMatchObject({ ...UNAVAILABLE, cause: expect.any(Error) })
      for (const command of [store.get('k'), store.set('k', 'during'), store.sadd('s', 'm'), store.del('k')]) {
        await expect(command).rejects.toMatchObject(UNAVAILABLE)
      }

      await server.restart()
      restarted = true
      await store.whenReady()
      await store.ping()
      // The restarted server kept nothing (no persistence); the store writes and reads again.
      expect(await store.get('k')).toBeNull()
      await store.set('k', 'after')
      expect(await store.get('k')).toBe('after')
      await store.del('k')
    } finally {
      // The other tests need the server, whatever happened here.
      if (!restarted) await server.restart()
    }
  })

  it('fails a command already sent when the connection drops, rather than holding it for a reconnection', async () => {
    // A timeout far past the test's: the rejection can only come from the drop.
    const store = await open({ options: { commandTimeout: 600_000 } })
    await store.ping()
    process.kill(server.pid, 'SIGSTOP')
    const pending = store.get('k') // written to the socket at once; the stopped server never answers
    process.kill(server.pid, 'SIGKILL')
    try {
      await expect(pending).rejects.toMatchObject(UNAVAILABLE)
    } finally {
      await server.restart()
    }
  })

  it('fails ping and commands with UNAVAILABLE when Redis stops answering, instead of hanging', async () => {
    const store = await open({ options: { commandTimeout: 300 } })
    await store.set('k', 'v')
    process.kill(server.pid, 'SIGSTOP')
    try {
      await expect(store.ping()).rejects.toMatchObject(UNAVAILABLE)
      await expect(store.get('k')).rejects.toMatchObject(UNAVAILABLE)
    } finally {
      process.kill(server.pid, 'SIGCONT')
    }
    await store.whenReady()
    expect(await store.get('k')).toBe('v')
    await store.del('k')
  })
})

const UNAVAILABLE = storeError('MSW_ERR_STORE_UNAVAILABLE')

function uniquePrefix(): string {
  return `mswoole-test:${randomUUID().slice(0, 8)}:`
}

/** What an MswError with `code` matches (toMatchObject compares own fields, so the name pins the class). */
function storeError(code: ErrorCode, fields: Record<string, unknown> = {}): Record<string, unknown> {
  return { name: 'MswError', code, ...fields }
}
