import { describe, expect, it } from 'vitest'
import { LIVE_MODES, newCode, useLiveEvent, useLiveServers, type LiveClient, type LiveEvent } from '../helpers/live.js'

/**
 * What the Live module refuses and how it shows text: empty and oversized
 * messages, a user sending too fast, HTML in nicknames and messages (escaped
 * exactly once whatever setting.escape_html says), and the user count the
 * walls follow.
 */

const servers = useLiveServers()

const NICKNAME = '<b>x</b>'
const NICKNAME_SHOWN = '&lt;b&gt;x&lt;/b&gt;'
const SAY = '<img src=x onerror=alert(1)>'
const SAY_SHOWN = '&lt;img src=x onerror=alert(1)&gt;'
const QUOTES = `"q" & 'a'`
const QUOTES_SHOWN = '&quot;q&quot; &amp; &#039;a&#039;'

describe.each(LIVE_MODES)('Live limits, $name', (mode) => {
  const live = useLiveEvent(servers, mode)

  it('refuses empty messages (400 messageEmpty) and messages over 500 characters (400 messageTooLong)', async () => {
    const event = live()
    const code = newCode()
    const wall = await event.wall(code)
    const user = await event.user(code)
    await wall.receive('userCount')

    const empty = { status: 400, event: 'messageEmpty', info: '内容不能为空' }
    for (const say of ['', '   \n\t ', 42, null, ['x'], { say: 'x' }])
      expect(await user.call('live.user.say', { say }, 'messageEmpty', 400)).toEqual(empty)
    await user.call('live.user.say', {}, 'messageEmpty', 400)
    expect(await user.call('live.user.say', { say: 'x'.repeat(501) }, 'messageTooLong', 400)).toEqual({
      status: 400,
      event: 'messageTooLong',
      info: '内容不能超过500个字',
    })
    await wall.call('live.wall.say', { say: ' ' }, 'messageEmpty', 400)
    await wall.call('live.wall.say', { say: 'y'.repeat(501) }, 'messageTooLong', 400)
    await event.expectNothingMore(code, [wall, user])

    // Measured in characters as typed: 500 emoji, or 500 "<" (2,000 characters once escaped), are within the limit.
    await user.call('live.user.say', { say: 'x'.repeat(500) }, 'userSaySuccess')
    await wall.receive('userSayNeedCheck')
    await user.call('live.user.say', { say: '😀'.repeat(500) }, 'userSaySuccess')
    await wall.receive('userSayNeedCheck')
    await user.call('live.user.say', { say: '<'.repeat(500) }, 'userSaySuccess')
    expect((await wall.receive('userSayNeedCheck')).param).toMatchObject({ say: '&lt;'.repeat(500) })
    await user.call('live.user.say', { say: '<'.repeat(501) }, 'messageTooLong', 400)
    // Surrounding blanks are not part of the message.
    expect((await wall.call('live.wall.say', { say: '  hi  ' }, 'wallSaySuccess')).param).toMatchObject({ say: 'hi' })
    await wall.receive('wallSayBroadcast')
    await user.receive('wallSayBroadcast')
    await event.expectNothingMore(code, [wall, user])
  })

  it('answers the 6th message of a burst with 429 tooManyMessages; the walls get the first 5 only', async () => {
    const event = live()
    const code = newCode()
    const wall = await event.wall(code)
    const fast = await event.user(code)
    await wall.receive('userCount')
    const other = await event.user(code)
    await wall.receive('userCount')

    // Sent at once: the limit is 5 in any 10 s, so the 6th is refused however the burst falls on the clock.
    for (let i = 1; i <= 6; i++) fast.send('live.user.say', { say: `burst ${i}` })
    for (let i = 1; i <= 5; i++) await fast.receive('userSaySuccess')
    expect(await fast.receive('tooManyMessages', 429)).toEqual({ status: 429, event: 'tooManyMessages', info: '发言太频繁，请稍后再试' })
    for (let i = 1; i <= 5; i++) expect((await wall.receive('userSayNeedCheck')).param).toMatchObject({ say: `burst ${i}` })
    await fast.call('live.user.say', { say: 'still too fast' }, 'tooManyMessages', 429)
    await event.expectNothingMore(code, [wall, fast, other])
    const pending = (await wall.call('live.wall.history', { type: 'user' }, 'userSayHistory')).param as Record<string, { say: string }>
    expect(Object.values(pending).map((m) => m.say)).toEqual(['burst 1', 'burst 2', 'burst 3', 'burst 4', 'burst 5'])

    // Per user: another user of the room is not held back.
    await other.call('live.user.say', { say: 'my turn' }, 'userSaySuccess')
    await wall.receive('userSayNeedCheck')
    // Empty or oversized messages are refused before the rate limit and use none of it.
    const careful = await event.user(code)
    await wall.receive('userCount')
    for (let i = 0; i < 6; i++) await careful.call('live.user.say', { say: '' }, 'messageEmpty', 400)
    await careful.call('live.user.say', { say: 'first real one' }, 'userSaySuccess')
    await wall.receive('userSayNeedCheck')
  })

  it('escapes the nickname of the token and the message exactly once, live, approved and in the history', async () => {
    await expectEscapedOnce(live())
  })

  it('tells the walls how many users are in the room as users join, leave and close', async () => {
    const event = live()
    const code = newCode()
    const wall = await event.wall(code)
    const users: LiveClient[] = []
    for (let i = 1; i <= 3; i++) {
      users.push(await event.user(code))
      expect((await wall.receive('userCount')).param).toEqual({ code, count: i })
    }
    const [ann, bob, cat] = users as [LiveClient, LiveClient, LiveClient]
    // A second wall is told the count when it joins.
    const late = await event.connect({ type: 'wall', code })
    await late.call('live.wall.join', { extras: true }, 'wallJoinSuccess')
    expect((await late.receive('userCount')).param).toEqual({ code, count: 3 })
    // A wall without extras (the seed's frames only) is never told.
    const plain = await event.wall(code, {}, 0, false)

    await ann.close()
    for (const w of [wall, late]) expect((await w.receive('userCount')).param).toEqual({ code, count: 2 })
    await bob.call('live.user.out', {}, 'userOutSuccess')
    for (const w of [wall, late]) expect((await w.receive('userCount')).param).toEqual({ code, count: 1 })
    // Out already: its close tells nobody, and it may not say anything.
    await bob.call('live.user.say', { say: 'gone' }, 'notJoined', 403)
    await bob.close()
    // A wall that closes is not counted and tells nobody.
    await late.close()
    await cat.close()
    expect((await wall.receive('userCount')).param).toEqual({ code, count: 0 })
    await event.expectNothingMore(code, [wall, plain])
  })
})

// Two settings of their own, in one daemon per mode: neither bears on what the other's test
// proves (the escape test leaves one message waiting in its own event, under a bound of 3;
// the bound test's messages hold no HTML).
describe.each(LIVE_MODES)('Live with setting.escape_html off and LIVE_MAX_PENDING=3, $name', (mode) => {
  const live = useLiveEvent(servers, mode, { setting: { escape_html: false } }, { LIVE_MAX_PENDING: '3' })

  it('escapes the nickname and the message exactly once all the same', async () => {
    await expectEscapedOnce(live())
  })

  it('answers 429 tooManyPending once the event has 3 messages waiting, and takes messages again after a wall moderates one', async () => {
    const event = live()
    const code = newCode()
    const wall = await event.wall(code)
    const users: LiveClient[] = []
    for (let i = 0; i < 4; i++) {
      users.push(await event.user(code))
      await wall.receive('userCount')
    }
    const [first, , , fourth] = users as [LiveClient, LiveClient, LiveClient, LiveClient]
    const ids: unknown[] = []
    for (const user of users.slice(0, 3)) {
      ids.push((await user.call('live.user.say', { say: 'waiting' }, 'userSaySuccess')).param)
      await wall.receive('userSayNeedCheck')
    }
    // A user who never said anything is refused too: the bound is the event's, not the user's.
    expect(await fourth.call('live.user.say', { say: 'one too many' }, 'tooManyPending', 429)).toEqual({
      status: 429,
      event: 'tooManyPending',
      info: '待审核消息过多，请稍后再试',
    })
    await event.expectNothingMore(code, [wall, ...users])
    expect(Object.keys((await wall.call('live.wall.history', { type: 'user' }, 'userSayHistory')).param as object)).toHaveLength(3)

    await wall.call('live.wall.check', { id: ids[0], status: 0 }, 'wallCheckSuccess')
    await fourth.call('live.user.say', { say: 'room again' }, 'userSaySuccess')
    await wall.receive('userSayNeedCheck')
    await first.call('live.user.say', { say: 'full again' }, 'tooManyPending', 429)
  })
})

/** A user with an HTML nickname says HTML; everything the screens and phones get is escaped once. */
async function expectEscapedOnce(event: LiveEvent): Promise<void> {
  const code = newCode()
  const wall = await event.wall(code, { nickname: QUOTES })
  const user = await event.user(code, { nickname: NICKNAME })
  await wall.receive('userCount')

  const id = (await user.call('live.user.say', { say: SAY }, 'userSaySuccess')).param
  expect((await wall.receive('userSayNeedCheck')).param).toMatchObject({ id, nickname: NICKNAME_SHOWN, say: SAY_SHOWN })
  expect((await wall.call('live.wall.history', { type: 'user' }, 'userSayHistory')).param).toEqual({
    [String(id)]: { id, nickname: NICKNAME_SHOWN, say: SAY_SHOWN },
  })
  wall.send('live.wall.check', { id, status: true })
  for (const client of [user, wall])
    expect((await client.receive('userSayBroadcast')).param).toMatchObject({ nickname: NICKNAME_SHOWN, say: SAY_SHOWN })
  await wall.receive('wallCheckSuccess')

  expect((await wall.call('live.wall.say', { say: QUOTES }, 'wallSaySuccess')).param).toMatchObject({
    nickname: QUOTES_SHOWN,
    say: QUOTES_SHOWN,
  })
  for (const client of [wall, user])
    expect((await client.receive('wallSayBroadcast')).param).toMatchObject({ nickname: QUOTES_SHOWN, say: QUOTES_SHOWN })

  // The history holds what walls said (approved user messages are shown, not stored).
  const history = (await user.call('live.user.history', {}, 'wallSayHistory')).param
  expect(history).toMatchObject({ list: [{ nickname: QUOTES_SHOWN, say: QUOTES_SHOWN }], count: 1 })
  await event.expectNothingMore(code, [wall, user])
}
