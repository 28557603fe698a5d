import { randomBytes } from 'node:crypto'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { PresenceChange } from '../../src/daemon/cluster/presence-counts.js'
import { RedisPresenceCounts } from '../../src/daemon/cluster/redis-presence-counts.js'
import { RedisStore } from '../../src/daemon/store/redis-store.js'
import { startRedisServer, type RedisServer } from '../helpers/redis-server.js'

/**
 * The presence counts of a cluster on a real redis-server, two nodes as two
 * stores on one prefix: whatever the interleaving, a uid's count leaves zero
 * once and comes back to it once, and a node's share can be set again.
 */
let server: RedisServer
beforeAll(async () => {
  server = await startRedisServer()
})
afterAll(async () => {
  await server.stop()
})

const stores: RedisStore[] = []
afterEach(async () => {
  await Promise.all(stores.splice(0).map((store) => store.close()))
})

/** Two nodes' counts on one fresh prefix, and a store to look at the keys with. */
async function twoNodes(): Promise<{ one: RedisPresenceCounts; two: RedisPresenceCounts; look: RedisStore }> {
  const prefix = `pc${randomBytes(4).toString('hex')}:`
  const [a, b] = await Promise.all([RedisStore.connect({ url: server.url, prefix }), RedisStore.connect({ url: server.url, prefix })])
  stores.push(a, b)
  return { one: new RedisPresenceCounts(a, 'node-1'), two: new RedisPresenceCounts(b, 'node-2'), look: a }
}

const joins = (changes: PresenceChange[][]) => changes.flat().filter((c) => c.joined)
const leaves = (changes: PresenceChange[][]) => changes.flat().filter((c) => !c.joined)

describe('presence counts in Redis', () => {
  it('make one join and one leave of many connections of a uid entering and going at once on two nodes', async () => {
    const { one, two, look } = await twoNodes()
    const enter = await Promise.all(Array.from({ length: 100 }, (_, i) => (i % 2 === 0 ? one : two).add('pr-r', ['u', `solo-${i}`], 1)))
    expect(joins(enter).filter((c) => c.uid === 'u')).toHaveLength(1)
    expect(joins(enter)).toHaveLength(101)
    expect(await look.hget('@presence:{pr-r}', 'u')).toBe('100')
    expect(await look.hget('@presence:{pr-r}:node-1', 'u')).toBe('50')
    expect(await one.rooms('node-1')).toEqual(['pr-r'])

    const go = await Promise.all(Array.from({ length: 100 }, (_, i) => (i % 2 === 0 ? one : two).add('pr-r', ['u', `solo-${i}`], -1)))
    expect(leaves(go).filter((c) => c.uid === 'u')).toHaveLength(1)
    expect(leaves(go)).toHaveLength(101)
    expect(joins(go)).toEqual([])
    // Nothing is left of the room, nor of either node's share.
    expect(await look.hgetall('@presence:{pr-r}')).toEqual({})
    expect(await look.hgetall('@presence:{pr-r}:node-1')).toEqual({})
    expect(await one.rooms('node-1')).toEqual([])
    expect(await two.rooms('node-2')).toEqual([])
  })

  it("never takes a node's share below zero: a leave it never counted changes nothing", async () => {
    const { one, two, look } = await twoNodes()
    expect(await one.add('pr-r', ['u'], 1)).toEqual([{ uid: 'u', joined: true }])
    expect(await two.add('pr-r', ['u'], -1)).toEqual([])
    expect(await look.hget('@presence:{pr-r}', 'u')).toBe('1')
    expect(await one.add('pr-r', ['u'], -1)).toEqual([{ uid: 'u', joined: false }])
  })

  it("sets a node's share again, moving the totals by the difference, and removes a gone node's", async () => {
    const { one, two, look } = await twoNodes()
    await one.add('pr-r', ['a'], 1)
    await one.add('pr-r', ['a', 'b'], 1)
    await two.add('pr-r', ['a'], 1)
    await two.add('pr-s', ['d'], 1)
    expect(await look.hgetall('@presence:{pr-r}')).toEqual({ a: '3', b: '1' })

    // node-1 now holds a once and c once in pr-r: b goes, c comes, a stays.
    const restated = await one.restate(
      'node-1',
      new Map([
        [
          'pr-r',
          new Map([
            ['a', 1],
            ['c', 1],
          ]),
        ],
      ]),
    )
    expect(restated).toEqual([
      [
        'pr-r',
        expect.arrayContaining([
          { uid: 'b', joined: false },
          { uid: 'c', joined: true },
        ]),
      ],
    ])
    expect(restated[0]?.[1]).toHaveLength(2)
    expect(await look.hgetall('@presence:{pr-r}')).toEqual({ a: '2', c: '1' })
    expect(await look.hgetall('@presence:{pr-r}:node-1')).toEqual({ a: '1', c: '1' })
    // Setting it to what it is changes nothing.
    expect(
      await one.restate(
        'node-1',
        new Map([
          [
            'pr-r',
            new Map([
              ['a', 1],
              ['c', 1],
            ]),
          ],
        ]),
      ),
    ).toEqual([['pr-r', []]])

    // node-2 is gone: its share of each of its rooms goes; a stays, held by node-1.
    expect((await one.rooms('node-2')).sort()).toEqual(['pr-r', 'pr-s'])
    const swept = await one.restate('node-2', new Map([...(await one.rooms('node-2'))].map((room) => [room, new Map()])))
    expect(new Map(swept)).toEqual(
      new Map([
        ['pr-r', []],
        ['pr-s', [{ uid: 'd', joined: false }]],
      ]),
    )
    expect(await look.hgetall('@presence:{pr-r}')).toEqual({ a: '1', c: '1' })
    expect(await look.hgetall('@presence:{pr-s}')).toEqual({})
    expect(await one.rooms('node-2')).toEqual([])
    expect(await one.rooms('node-1')).toEqual(['pr-r'])
  })
})
