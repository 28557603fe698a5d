import { randomUUID } from 'node:crypto'
import { once } from 'node:events'
import type { Redis } from 'ioredis'
import { describe, expect, it } from 'vitest'
import { RedisStore } from '../../../src/daemon/store/redis-store.js'
import { poll } from '../../helpers/poll.js'
import { startRedisCluster, startRedisSentinel, useTopology, type RedisSentinel } from '../../helpers/redis-topologies.js'
import { storeSuite } from './store-suite.js'

/** How long a failover (detection, election, promotion) and the client's reconnection may take. */
const FAILOVER_MS = 60_000

describe('through Sentinel', () => {
  const topology = useTopology(() => startRedisSentinel())

  storeSuite('redis via sentinel', (prefix) => {
    const { sentinels, name } = topology()
    return RedisStore.connect({ options: { sentinels, name }, prefix })
  })
})

describe('on a Redis Cluster', () => {
  const topology = useTopology(() => startRedisCluster(3))

  storeSuite('redis cluster', (prefix) => RedisStore.connect({ cluster: topology().nodes, prefix }))

  it('the suite’s keys fall in different hash slots, so its commands crossed slots', async () => {
    const { nodes } = topology()
    const store = await RedisStore.connect({ cluster: nodes, prefix: `mswoole-test:${randomUUID().slice(0, 8)}:` })
    try {
      const keys = ['str', 'num', 'hash', 'set', 'list', 'other', 'k', 'a', 'b', 'c', 'missing']
      const slots = new Set<unknown>()
      for (const key of keys) slots.add(await store.client.cluster('KEYSLOT', store.k(key)))
      expect(slots.size).toBeGreaterThan(1)
    } finally {
      await store.close()
    }
  })
})

describe('Sentinel failover', () => {
  const topology = useTopology(() => startRedisSentinel({ replica: true }))

  it(
    'the same store works again once the sentinel has promoted the replica in place of a killed primary',
    async () => {
      const { sentinels, name, primary, replica, primaryAddress } = topology()
      const promoted = replica as NonNullable<RedisSentinel['replica']>
      const store = await RedisStore.connect({ options: { sentinels, name }, prefix: `mswoole-test:${randomUUID().slice(0, 8)}:` })
      try {
        await store.set('k', 'before')
        // The write has reached the replica before the primary dies, so the promoted one holds it.
        expect(await (store.client as Redis).wait(1, 10_000)).toBe(1)

        const dropped = once(store.client, 'close')
        await primary.crash()
        await dropped

        const address = await poll(primaryAddress, (now) => now?.port === promoted.port, FAILOVER_MS)
        expect(address).toEqual({ host: '127.0.0.1', port: promoted.port })

        await store.whenReady(FAILOVER_MS)
        expect(await store.get('k')).toBe('before')
        await store.set('k', 'after')
        expect(await store.get('k')).toBe('after')
        expect(await store.client.call('ROLE')).toEqual(expect.arrayContaining(['master']))
        await store.del('k')
      } finally {
        await store.close()
      }
    },
    FAILOVER_MS * 2,
  )
})
