import { describe, expect, it } from 'vitest'
import { LIVE_MODES, LiveEvent, newCode, useLiveEvent, useLiveServers, type LiveClient } from '../helpers/live.js'

/** The history of an event: the seed's page of rows, newest first, per event, and kept in the database across a restart. */

const servers = useLiveServers()

interface Shown {
  id: string
  say: string
}

interface HistoryPage {
  list: Array<{ id: number; say: string }>
  count: number
}

/** A wall says `count` numbered messages (shown at once, no approval; it gets its own broadcast too) and returns them oldest first. */
async function wallSays(wall: LiveClient, count: number, prefix = 'message'): Promise<Shown[]> {
  const said: Shown[] = []
  for (let i = 1; i <= count; i++) {
    said.push((await wall.call('live.wall.say', { say: `${prefix} ${i}` }, 'wallSaySuccess')).param as Shown)
    await wall.receive('wallSayBroadcast')
  }
  return said
}

const says = (page: unknown): string[] => (page as HistoryPage).list.map((m) => m.say)
const numbered = (from: number, to: number, prefix = 'message'): string[] => {
  const out: string[] = []
  for (let i = from; i >= to; i--) out.push(`${prefix} ${i}`)
  return out
}

describe.each(LIVE_MODES)('Live history, $name', (mode) => {
  const live = useLiveEvent(servers, mode)

  it('pages the history newest first with the total count: count defaults to 10 and is clamped to 20; a malformed page or count falls back to its default', async () => {
    const event = live()
    const code = newCode()
    const wall = await event.wall(code)
    const user = await event.user(code)
    await wall.receive('userCount')
    const said = await wallSays(wall, 25)
    for (let i = 0; i < 25; i++) await user.receive('wallSayBroadcast')
    // Ids grow in the order messages were shown.
    const ids = said.map((m) => Number(m.id))
    expect(ids).toEqual([...ids].sort((a, b) => a - b))

    const history = async (fields: Record<string, unknown>) =>
      (await user.call('live.user.history', fields, 'wallSayHistory')).param as HistoryPage
    const page = async (fields: Record<string, unknown>) => says(await history(fields))
    const first = await history({})
    expect(first.count).toBe(25)
    expect(first.list.map((m) => m.id)).toEqual(ids.slice(15).reverse())
    expect(await page({})).toEqual(numbered(25, 16))
    expect(await page({ page: 2 })).toEqual(numbered(15, 6))
    expect(await page({ page: 3 })).toEqual(numbered(5, 1))
    expect(await history({ page: 4 })).toEqual({ list: [], count: 25 })
    expect(await page({ count: 3, page: 2 })).toEqual(numbered(22, 20))
    expect(await page({ count: '3', page: '2' })).toEqual(numbered(22, 20))
    expect(await page({ count: 50 })).toEqual(numbered(25, 6))
    expect(await page({ count: 50, page: 2 })).toEqual(numbered(5, 1))
    // The walls read the same history.
    expect(says((await wall.call('live.wall.history', { type: 'wall', count: 4 }, 'wallSayHistory')).param)).toEqual(numbered(25, 22))
    expect(says((await wall.call('live.wall.history', { type: 'wall', page: 7, count: 4 }, 'wallSayHistory')).param)).toEqual(
      numbered(1, 1),
    )

    // As the seed's query builder: a page that is not a whole number from 1 is page 1; a count that is not, the default.
    for (const bad of [0, -1, 1.5, 'x', true, null]) {
      expect(await page({ page: bad }), `page ${JSON.stringify(bad)}`).toEqual(numbered(25, 16))
      expect(await page({ count: bad }), `count ${JSON.stringify(bad)}`).toEqual(numbered(25, 16))
      expect(says((await wall.call('live.wall.history', { type: 'wall', page: bad, count: 2 }, 'wallSayHistory')).param)).toEqual(
        numbered(25, 24),
      )
    }
    // A page past 100,000 is read as that page: empty, and never an offset no table reaches.
    expect(await history({ page: 10_000_000 })).toEqual({ list: [], count: 25 })

    // Another event's history is its own.
    const other = await event.user(newCode('other'))
    expect((await other.call('live.user.history', {}, 'wallSayHistory')).param).toEqual({ list: [], count: 0 })
  })

  it('keeps the history in the database across mswoole stop and start', async () => {
    // A daemon of its own: this test stops and starts it.
    const event = await LiveEvent.start(servers, mode)
    try {
      const code = newCode()
      let wall = await event.wall(code)
      let user = await event.user(code)
      await wall.receive('userCount')
      const said = await wallSays(wall, 3, 'before')
      for (let i = 0; i < 3; i++) await user.receive('wallSayBroadcast')
      const pendingId = (await user.call('live.user.say', { say: 'approved before' }, 'userSaySuccess')).param
      await wall.receive('userSayNeedCheck')
      wall.send('live.wall.check', { id: pendingId, status: 1 })
      await user.receive('userSayBroadcast')
      await wall.receive('userSayBroadcast')
      await wall.receive('wallCheckSuccess')
      await wall.call('live.wall.recall', { id: said[1]?.id }, 'wallSayRecall')
      await wall.receive('wallRecallSuccess')
      await user.receive('wallSayRecall')
      await user.call('live.user.say', { say: 'still waiting' }, 'userSaySuccess')
      const before = (await user.call('live.user.history', {}, 'wallSayHistory')).param
      // What walls said, as in the seed: the approved user message was shown, not stored.
      expect(says(before)).toEqual(['before 3', 'before 1'])

      await event.restart()

      wall = await event.wall(code)
      user = await event.user(code)
      await wall.receive('userCount')
      expect((await user.call('live.user.history', {}, 'wallSayHistory')).param).toEqual(before)
      // Pending messages live in the store: Redis keeps them, the memory store starts empty.
      const pending = (await wall.call('live.wall.history', { type: 'user' }, 'userSayHistory')).param as Record<string, Shown> | undefined
      expect(Object.values(pending ?? {}).map((m) => m.say)).toEqual(mode.external ? ['still waiting'] : [])
      // New messages go on after the old ones, and the recalled one stays recalled.
      const [after] = await wallSays(wall, 1, 'after')
      expect(Number(after?.id)).toBeGreaterThan(Number(said[2]?.id))
      await wall.call('live.wall.recall', { id: said[1]?.id }, 'wallRecallFail', 403)
      await user.receive('wallSayBroadcast')
      expect(says((await user.call('live.user.history', {}, 'wallSayHistory')).param)).toEqual(['after 1', 'before 3', 'before 1'])
    } finally {
      await event.stop()
    }
  })
})
