import { describe, expect, it } from 'vitest'
import { LIVE_MODES, LiveEvent, newCode, useLiveEvent, useLiveServers, type LiveClient } from '../helpers/live.js'

/** The history of an event: paged newest first, per event, and kept in the database across a restart. */

const servers = useLiveServers()

interface Shown {
  id: number
  say: string
}

/** A wall says `count` numbered messages (they are shown at once, no approval) and returns them oldest first. */
async function wallSays(wall: LiveClient, count: number, prefix = 'message'): Promise<Shown[]> {
  const said: Shown[] = []
  for (let i = 1; i <= count; i++) said.push((await wall.call('live.wall.say', { say: `${prefix} ${i}` }, 'wallSaySuccess')).param as Shown)
  return said
}

const says = (list: unknown): string[] => (list as Shown[]).map((m) => m.say)
const numbered = (from: number, to: number, prefix = 'message'): string[] => {
  const out: string[] = []
  for (let i = from; i >= to; i--) out.push(`${prefix} ${i}`)
  return out
}

describe.each(LIVE_MODES)('Live history, $name', (mode) => {
  const live = useLiveEvent(servers, mode)

  it('pages the history newest first: count defaults to 10 and is clamped to 20; a bad page or count is 400', async () => {
    const event = live()
    const code = newCode()
    const wall = await event.wall(code)
    const user = await event.user(code)
    await wall.receive('userCount')
    const said = await wallSays(wall, 25)
    for (let i = 0; i < 25; i++) await user.receive('wallSayBroadcast')
    // Ids grow in the order messages were shown.
    expect(said.map((m) => m.id)).toEqual([...said.map((m) => m.id)].sort((a, b) => a - b))

    const page = async (fields: Record<string, unknown>) => says((await user.call('live.user.history', fields, 'wallSayHistory')).param)
    expect(await page({})).toEqual(numbered(25, 16))
    expect(await page({ page: 2 })).toEqual(numbered(15, 6))
    expect(await page({ page: 3 })).toEqual(numbered(5, 1))
    expect(await page({ page: 4 })).toEqual([])
    expect(await page({ count: 3, page: 2 })).toEqual(numbered(22, 20))
    expect(await page({ count: '3', page: '2' })).toEqual(numbered(22, 20))
    expect(await page({ count: 50 })).toEqual(numbered(25, 6))
    expect(await page({ count: 50, page: 2 })).toEqual(numbered(5, 1))
    // The walls read the same history.
    expect(says((await wall.call('live.wall.history', { type: 'wall', count: 4 }, 'wallSayHistory')).param)).toEqual(numbered(25, 22))
    expect(says((await wall.call('live.wall.history', { page: 7, count: 4 }, 'wallSayHistory')).param)).toEqual(numbered(1, 1))

    for (const bad of [{ page: 0 }, { page: -1 }, { page: 1.5 }, { page: 'x' }, { page: true }, { count: 0 }, { count: -5 }, { count: '2x' }, { page: 10_000_000 }]) {
      await user.call('live.user.history', bad, 'badRequest', 400)
      await wall.call('live.wall.history', bad, 'badRequest', 400)
    }

    // Another event's history is its own.
    const other = await event.user(newCode('other'))
    expect((await other.call('live.user.history', {}, 'wallSayHistory')).param).toEqual([])
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
      const approved = (await user.receive('userSayBroadcast')).param as Shown
      await wall.receive('userSayBroadcast')
      await wall.receive('wallCheckSuccess')
      await wall.call('live.wall.recall', { id: said[1]?.id }, 'wallSayRecall')
      await wall.receive('wallRecallSuccess')
      await user.receive('wallSayRecall')
      await user.call('live.user.say', { say: 'still waiting' }, 'userSaySuccess')
      const before = (await user.call('live.user.history', {}, 'wallSayHistory')).param
      expect(says(before)).toEqual(['approved before', 'before 3', 'before 1'])

      await event.restart()

      wall = await event.wall(code)
      user = await event.user(code)
      await wall.receive('userCount')
      expect((await user.call('live.user.history', {}, 'wallSayHistory')).param).toEqual(before)
      // Pending messages live in the store: Redis keeps them, the memory store starts empty.
      const pending = (await wall.call('live.wall.history', { type: 'user' }, 'userSayHistory')).param
      expect(says(pending)).toEqual(mode.external ? ['still waiting'] : [])
      // New messages go on after the old ones, and the recalled one stays recalled.
      const after = (await wall.call('live.wall.say', { say: 'after' }, 'wallSaySuccess')).param as Shown
      expect(after.id).toBeGreaterThan(approved.id)
      await wall.call('live.wall.recall', { id: said[1]?.id }, 'messageNotFound', 404)
      await user.receive('wallSayBroadcast')
      expect(says((await user.call('live.user.history', {}, 'wallSayHistory')).param)).toEqual(['after', 'approved before', 'before 3', 'before 1'])
    } finally {
      await event.stop()
    }
  })
})
