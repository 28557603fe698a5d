import { copyFile } from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { cleanupProject, startDaemon } from '../helpers/cli.js'
import type { Envelope } from '../helpers/client.js'
import {
  LIVE_MODES,
  newCode,
  newUserId,
  USER_JOINED,
  useLiveEvent,
  useLiveServers,
  type LiveClient,
  type LiveEvent,
  type LiveNode,
} from '../helpers/live.js'
import { makeProject } from '../helpers/project.js'

/**
 * The Live module's flow, in the frames of the seed's App/Live: phones say,
 * walls moderate, approved messages reach every phone and screen of the
 * event, what walls say is stored and makes the history, recalled messages
 * leave it; and nothing of one event ever reaches another.
 */

const servers = useLiveServers()

/** A pending id: 32 hex digits, like the seed's md5. */
const PENDING_ID = /^[0-9a-f]{32}$/
/** A wall message's id as wallSaySuccess gives it: digits in a string, as the seed's lastInsertId. */
const ROW_ID = /^\d+$/

/** A user says something; the user's reply and every wall's userSayNeedCheck are read. Returns the pending id. */
async function userSays(user: LiveClient, walls: LiveClient[], say: string): Promise<string> {
  const reply = await user.call('live.user.say', { say }, 'userSaySuccess')
  const id = reply.param as string
  expect(id).toMatch(PENDING_ID)
  for (const wall of walls) expect((await wall.receive('userSayNeedCheck')).param).toEqual({ id, nickname: expect.any(String), say })
  return id
}

/** Every client of a room: walls (with extras) then users, the walls told of each new user. */
async function room(event: LiveEvent, code: string, users: number, walls: number): Promise<{ users: LiveClient[]; walls: LiveClient[] }> {
  const wallClients: LiveClient[] = []
  for (let i = 0; i < walls; i++) wallClients.push(await event.wall(code))
  const userClients: LiveClient[] = []
  for (let i = 0; i < users; i++) {
    userClients.push(await event.user(code))
    for (const wall of wallClients) expect((await wall.receive('userCount')).param).toEqual({ code, count: i + 1 })
  }
  return { users: userClients, walls: wallClients }
}

interface WallSaid {
  code: string
  nickname: string
  say: string
  user_id: number | string
  id: string
}

describe.each(LIVE_MODES)('the Live module, $name', (mode) => {
  const live = useLiveEvent(servers, mode)

  it("sends the seed's frames to a wall that asks for no extras: its statuses, texts, fields and shapes, and nothing else", async () => {
    const event = live()
    const code = newCode()
    const started = Math.floor(Date.now() / 1000)
    const wall = await event.wall(code, { id: 900, nickname: 'Big Screen' }, 0, false)
    const annId = newUserId()
    const ann = await event.connect({ type: 'wechatUser', code, id: annId, nickname: 'Ann' })
    expect(await ann.call('live.user.join', {}, 'userJoinSuccess')).toEqual(USER_JOINED)
    const bob = await event.user(code)

    const reply = await ann.call('live.user.say', { say: 'hello' }, 'userSaySuccess')
    const id = reply.param as string
    expect(reply).toEqual({ status: 200, event: 'userSaySuccess', info: '发布聊天内容成功，等待审核', param: id })
    expect(id).toMatch(PENDING_ID)
    const pending = { id, nickname: 'Ann', say: 'hello' }
    expect(await wall.receive('userSayNeedCheck')).toEqual({
      status: 200,
      event: 'userSayNeedCheck',
      info: '收到用户广播内容',
      param: pending,
    })
    // The phones never see a message waiting for approval (the seed's one room sent it to them), the wall no userCount.
    await event.expectNothingMore(code, [ann, bob, wall])

    // Pending messages keyed by id, as the seed's hGetAll.
    expect(await wall.call('live.wall.history', { type: 'user' }, 'userSayHistory')).toEqual({
      status: 200,
      event: 'userSayHistory',
      info: '获取消息历史成功',
      param: { [id]: pending },
    })
    // The model's page: rows and the count.
    expect(await bob.call('live.user.history', {}, 'wallSayHistory')).toEqual({
      status: 200,
      event: 'wallSayHistory',
      info: '获取历史成功',
      param: { list: [], count: 0 },
    })

    wall.send('live.wall.check', { id, status: 1 })
    const approved = { status: 200, event: 'userSayBroadcast', info: '用户消息审核通过', param: pending }
    for (const client of [ann, bob, wall]) expect(await client.receive('userSayBroadcast')).toEqual(approved)
    expect(await wall.receive('wallCheckSuccess')).toEqual({ status: 200, event: 'wallCheckSuccess', info: '审核消息成功', param: id })
    // Nothing pending: the seed left an empty param out of the frame.
    const none = await wall.call('live.wall.history', { type: 'user' }, 'userSayHistory')
    expect(none).toEqual({ status: 200, event: 'userSayHistory', info: '获取消息历史成功' })
    expect('param' in none).toBe(false)

    const said = await wall.call('live.wall.say', { say: 'from the stage' }, 'wallSaySuccess')
    const message = said.param as WallSaid
    expect(said).toEqual({
      status: 200,
      event: 'wallSaySuccess',
      info: '广播成功',
      param: { code, nickname: 'Big Screen', say: 'from the stage', user_id: 900, id: expect.stringMatching(ROW_ID) },
    })
    expect(Object.keys(message)).toEqual(['code', 'nickname', 'say', 'user_id', 'id'])
    // To the users, and to the walls, the sender too, as the seed's one room did.
    for (const client of [wall, ann, bob])
      expect(await client.receive('wallSayBroadcast')).toEqual({
        status: 200,
        event: 'wallSayBroadcast',
        info: '收到大屏幕广播内容',
        param: message,
      })
    const history = await bob.call('live.user.history', { count: 5 }, 'wallSayHistory')
    const row = {
      id: Number(message.id),
      code,
      nickname: 'Big Screen',
      say: 'from the stage',
      user_id: 900,
      status: 1,
      create_time: expect.any(Number),
      update_time: expect.any(Number),
    }
    expect(history.param).toEqual({ list: [row], count: 1 })
    const [stored] = (history.param as { list: Array<{ create_time: number; update_time: number }> }).list
    expect(stored?.create_time).toBeGreaterThanOrEqual(started)
    expect(stored?.create_time).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000))
    expect(stored?.update_time).toBe(stored?.create_time)
    expect((await wall.call('live.wall.history', { type: 'wall' }, 'wallSayHistory')).param).toEqual({ list: [row], count: 1 })

    wall.send('live.wall.recall', { id: message.id })
    for (const client of [ann, bob, wall])
      expect(await client.receive('wallSayRecall')).toEqual({
        status: 200,
        event: 'wallSayRecall',
        info: '撤回一条大屏幕消息',
        param: message.id,
      })
    expect(await wall.receive('wallRecallSuccess')).toEqual({
      status: 200,
      event: 'wallRecallSuccess',
      info: '撤回广播成功',
      param: message.id,
    })
    expect(await wall.call('live.wall.recall', { id: message.id }, 'wallRecallFail', 403)).toEqual({
      status: 403,
      event: 'wallRecallFail',
      info: '撤回广播失败',
    })
    expect(await wall.call('live.wall.history', { type: 'other' }, 'typeError', 401)).toEqual({
      status: 401,
      event: 'typeError',
      info: '类型错误',
    })
    // The seed's wall history had no default type.
    await wall.call('live.wall.history', {}, 'typeError', 401)
    // The seed's clean answered nothing.
    wall.send('live.wall.clean')
    expect(await bob.call('live.user.out', {}, 'userOutSuccess')).toEqual({ status: 200, event: 'userOutSuccess', info: '退出房间成功' })
    expect(await wall.call('live.wall.out', {}, 'wallOutSuccess')).toEqual({ status: 200, event: 'wallOutSuccess', info: '退出房间成功' })
    await event.expectNothingMore(code, [ann, bob, wall])
  })

  it("approves on a status PHP's empty() calls non-empty and rejects on an empty one", async () => {
    const event = live()
    const code = newCode()
    const wall = await event.wall(code)
    // A phone per message: one user may say 5 in 10 s.
    const says = async (say: string): Promise<{ user: LiveClient; id: string }> => {
      const user = await event.user(code)
      await wall.receive('userCount')
      return { user, id: await userSays(user, [wall], say) }
    }
    const approving: unknown[] = [1, true, '1', 2, 'yes', 'false', '00', [1]]
    for (const [i, status] of approving.entries()) {
      const { user, id } = await says(`approve ${i}`)
      wall.send('live.wall.check', { id, status })
      expect((await user.receive('userSayBroadcast')).param, JSON.stringify(status)).toMatchObject({ id })
      expect((await wall.receive('userSayBroadcast')).param).toMatchObject({ id })
      expect((await wall.receive('wallCheckSuccess')).param).toBe(id)
      await user.close()
      await wall.receive('userCount')
    }
    const rejecting: unknown[] = [0, '0', '', false, null, [], undefined]
    const users: LiveClient[] = []
    for (const [i, status] of rejecting.entries()) {
      const { user, id } = await says(`reject ${i}`)
      users.push(user)
      expect((await wall.call('live.wall.check', { id, status }, 'wallCheckSuccess')).param, JSON.stringify(status)).toBe(id)
    }
    await event.expectNothingMore(code, [wall, ...users])
    expect((await wall.call('live.wall.history', { type: 'user' }, 'userSayHistory')).param).toBeUndefined()
  })

  it('approves a message: every user and wall gets userSayBroadcast once with its pending id; a second approval shows nothing', async () => {
    const event = live()
    const code = newCode()
    const { users, walls } = await room(event, code, 2, 2)
    const [ann, bob] = users as [LiveClient, LiveClient]
    const [first, second] = walls as [LiveClient, LiveClient]
    const id = await userSays(ann, walls, 'approve me')

    first.send('live.wall.check', { id, status: 1 })
    const shown = (await ann.receive('userSayBroadcast')).param
    expect(shown).toEqual({ id, nickname: expect.any(String), say: 'approve me' })
    for (const client of [bob, first, second]) expect((await client.receive('userSayBroadcast')).param).toEqual(shown)
    expect((await first.receive('wallCheckSuccess')).param).toBe(id)
    // The other wall (it asked for extras) drops it from its pending list.
    expect((await second.receive('userSayChecked')).param).toEqual({ id, approved: true })
    await event.expectNothingMore(code, [ann, bob, first, second])

    // Approved user messages are shown, not stored: the history is what walls said, as in the seed.
    expect((await bob.call('live.user.history', {}, 'wallSayHistory')).param).toEqual({ list: [], count: 0 })
    expect((await second.call('live.wall.history', { type: 'user' }, 'userSayHistory')).param).toBeUndefined()
    // Approved once only: a second approval is answered as the seed did, and shows nothing.
    expect((await second.call('live.wall.check', { id, status: 1 }, 'wallCheckSuccess')).param).toBe(id)
    await event.expectNothingMore(code, [ann, bob, first, second])
  })

  it('rejects a message: no broadcast, gone from the pending list, and it cannot be approved afterwards', async () => {
    const event = live()
    const code = newCode()
    const { users, walls } = await room(event, code, 2, 2)
    const [ann, bob] = users as [LiveClient, LiveClient]
    const [first, second] = walls as [LiveClient, LiveClient]
    const kept = await userSays(bob, walls, 'keep me waiting')
    const id = await userSays(ann, walls, 'reject me')

    expect((await first.call('live.wall.check', { id, status: 0 }, 'wallCheckSuccess')).param).toBe(id)
    expect((await second.receive('userSayChecked')).param).toEqual({ id, approved: false })
    await event.expectNothingMore(code, [ann, bob, first, second])
    const pending = (await second.call('live.wall.history', { type: 'user' }, 'userSayHistory')).param as Record<string, { id: string }>
    expect(Object.keys(pending)).toEqual([kept])
    await first.call('live.wall.check', { id, status: 1 }, 'wallCheckSuccess')
    await first.call('live.wall.check', { id: 'no-such-id', status: 1 }, 'wallCheckSuccess')
    await event.expectNothingMore(code, [ann, bob, first, second])
    expect(await first.call('live.wall.check', { status: 1 }, 'badRequest', 400)).toEqual({
      status: 400,
      event: 'badRequest',
      info: 'id不能为空',
    })
  })

  it('lets exactly one of two walls approving the same message at once show it: one broadcast each', async () => {
    const event = live()
    const code = newCode()
    const { users, walls } = await room(event, code, 1, 2)
    const [ann] = users as [LiveClient]
    const [first, second] = walls as [LiveClient, LiveClient]
    // Consecutive connections land on different workers, so the two checks really run at once.
    for (let round = 1; round <= 5; round++) {
      const id = await userSays(ann, walls, `race ${round}`)
      first.send('live.wall.check', { id, status: 1 })
      second.send('live.wall.check', { id, status: '1' })
      const [gotFirst, gotSecond] = await Promise.all([untilReply(first), untilReply(second)])
      expect([gotFirst.reply.param, gotSecond.reply.param], `round ${round}`).toEqual([id, id])
      // Collected up to the marker, so a second broadcast could not hide behind the first.
      const seen = [
        ...gotFirst.before,
        ...gotSecond.before,
        ...(await event.receivedBeforeMarker(code, first)),
        ...(await event.receivedBeforeMarker(code, second)),
      ]
      // Both walls get the one broadcast; the loser also hears that the winner moderated it.
      expect(seen.map((e) => e.event).sort()).toEqual(['userSayBroadcast', 'userSayBroadcast', 'userSayChecked'])
      expect((await event.receivedBeforeMarker(code, ann)).map((e) => [e.event, (e.param as { say: string }).say])).toEqual([
        ['userSayBroadcast', `race ${round}`],
      ])
    }
    expect((await first.call('live.wall.history', { type: 'user' }, 'userSayHistory')).param).toBeUndefined()
  })

  it("recalls a wall's message by its id as sent and an approved user message by its pending id; anything else is 403 wallRecallFail", async () => {
    const event = live()
    const code = newCode()
    const { users, walls } = await room(event, code, 1, 2)
    const [ann] = users as [LiveClient]
    const [first, second] = walls as [LiveClient, LiveClient]

    const said = async (say: string): Promise<WallSaid> => {
      const message = (await first.call('live.wall.say', { say }, 'wallSaySuccess')).param as WallSaid
      for (const client of [first, ann, second]) expect((await client.receive('wallSayBroadcast')).param).toEqual(message)
      return message
    }
    const message = await said('from the stage')
    const kept = await said('stays')
    const byNumber = await said('recalled by number')
    const approved = await userSays(ann, walls, 'approved, then recalled')
    first.send('live.wall.check', { id: approved, status: 1 })
    for (const client of [ann, first, second]) await client.receive('userSayBroadcast')
    await first.receive('wallCheckSuccess')
    await second.receive('userSayChecked')
    await event.expectNothingMore(code, [ann, first, second])

    // The id is echoed as the wall sent it: the string wallSaySuccess gave, a number, a pending id.
    for (const id of [message.id, Number(byNumber.id), approved]) {
      first.send('live.wall.recall', { id })
      for (const client of [ann, second, first]) expect((await client.receive('wallSayRecall')).param).toBe(id)
      expect((await first.receive('wallRecallSuccess')).param).toBe(id)
    }
    await event.expectNothingMore(code, [ann, first, second])

    const history = (await ann.call('live.user.history', {}, 'wallSayHistory')).param as {
      list: Array<{ id: number; say: string }>
      count: number
    }
    expect(history.list.map((row) => [row.id, row.say])).toEqual([[Number(kept.id), 'stays']])
    expect(history.count).toBe(1)
    const row = await event.row(Number(message.id))
    expect(row).toMatchObject({ code, say: 'from the stage' })
    expect(Number(row?.status)).toBe(0)
    expect(Number(row?.recalled_at)).toBeGreaterThan(0)

    // Already recalled, unknown, malformed: 403, and nothing is sent to anyone else.
    for (const id of [message.id, approved, 987_654_321, 'abc', '', null, 0, -1]) {
      expect(await second.call('live.wall.recall', { id }, 'wallRecallFail', 403), JSON.stringify(id)).toEqual({
        status: 403,
        event: 'wallRecallFail',
        info: '撤回广播失败',
      })
    }
    await second.call('live.wall.recall', {}, 'wallRecallFail', 403)
    await event.expectNothingMore(code, [ann, first, second])
    expect(Number((await event.row(Number(kept.id)))?.status)).toBe(1)
  })

  it("answers 501 insertDbError when a wall's message cannot be stored, and sends it to nobody", async () => {
    const event = live()
    const code = newCode()
    const { users, walls } = await room(event, code, 1, 1)
    const [ann] = users as [LiveClient]
    const [wall] = walls as [LiveClient]
    await event.renameTable('live_wall_message', 'live_wall_message_away')
    try {
      expect(await wall.call('live.wall.say', { say: 'not stored' }, 'insertDbError', 501)).toEqual({
        status: 501,
        event: 'insertDbError',
        info: '保存数据至数据库失败',
      })
    } finally {
      await event.renameTable('live_wall_message_away', 'live_wall_message')
    }
    await event.expectNothingMore(code, [ann, wall])
    await wall.call('live.wall.say', { say: 'stored again' }, 'wallSaySuccess')
  })

  it('keeps two events apart: nothing of event A reaches the users or walls of event B', async () => {
    const event = live()
    const codeA = newCode('a')
    const codeB = newCode('b')
    const b = await room(event, codeB, 2, 1)
    const a = await room(event, codeA, 2, 2)
    const [ann, amy] = a.users as [LiveClient, LiveClient]
    const [wallA, wallA2] = a.walls as [LiveClient, LiveClient]
    const bClients = [...b.users, ...b.walls]

    // Everything event A can do: say, approve, reject, a wall's say, recall, clean, out, close.
    const approved = await userSays(ann, a.walls, 'A approved')
    const rejected = await userSays(amy, a.walls, 'A rejected')
    await userSays(amy, a.walls, 'A cleaned')
    wallA.send('live.wall.check', { id: approved, status: 1 })
    for (const client of [ann, amy, wallA, wallA2]) await client.receive('userSayBroadcast')
    await wallA.receive('wallCheckSuccess')
    await wallA2.receive('userSayChecked')
    await wallA2.call('live.wall.check', { id: rejected, status: 0 }, 'wallCheckSuccess')
    await wallA.receive('userSayChecked')
    const said = (await wallA.call('live.wall.say', { say: 'A wall' }, 'wallSaySuccess')).param as WallSaid
    for (const client of [wallA, ann, amy, wallA2]) await client.receive('wallSayBroadcast')
    await wallA.call('live.wall.say', { say: 'A kept' }, 'wallSaySuccess')
    for (const client of [wallA, ann, amy, wallA2]) await client.receive('wallSayBroadcast')
    wallA.send('live.wall.recall', { id: said.id })
    for (const client of [ann, amy, wallA2, wallA]) await client.receive('wallSayRecall')
    await wallA.receive('wallRecallSuccess')
    await event.expectNothingMore(codeA, [ann, amy, wallA, wallA2])

    // Event B's walls cannot see, approve or recall event A's messages.
    const [wallB] = b.walls as [LiveClient]
    expect((await wallB.call('live.wall.history', { type: 'user' }, 'userSayHistory')).param).toBeUndefined()
    const pendingA = (await wallA.call('live.wall.history', { type: 'user' }, 'userSayHistory')).param as Record<string, unknown>
    expect(Object.keys(pendingA)).toHaveLength(1)
    await wallB.call('live.wall.check', { id: Object.keys(pendingA)[0], status: 1 }, 'wallCheckSuccess')
    const shownA = (await ann.call('live.user.history', {}, 'wallSayHistory')).param as { list: Array<{ id: number }>; count: number }
    expect(shownA.count).toBe(1)
    await wallB.call('live.wall.recall', { id: shownA.list[0]?.id }, 'wallRecallFail', 403)
    await wallB.call('live.wall.recall', { id: approved }, 'wallRecallFail', 403)
    // The seed counted every event's rows; each event counts its own.
    expect((await b.users[0]?.call('live.user.history', {}, 'wallSayHistory'))?.param).toEqual({ list: [], count: 0 })
    expect((await wallA.call('live.wall.history', { type: 'user' }, 'userSayHistory')).param).toEqual(pendingA)

    await wallA.call('live.wall.clean', {}, 'wallCleanSuccess')
    await wallA2.receive('userSayCleaned')
    await amy.call('live.user.out', {}, 'userOutSuccess')
    for (const wall of a.walls) expect((await wall.receive('userCount')).param).toEqual({ code: codeA, count: 1 })
    await ann.close()
    for (const wall of a.walls) expect((await wall.receive('userCount')).param).toEqual({ code: codeA, count: 0 })
    await event.expectNothingMore(codeA, [amy, wallA, wallA2])

    // Not one of those events reached event B.
    await event.expectNothingMore(codeB, bClients)
  })

  it("stops an action whose token is of the wrong type (the seed's 403 and text) or names no code (999 codeIsEmpty)", async () => {
    const event = live()
    const code = newCode()
    const { users, walls } = await room(event, code, 1, 1)
    const [ann] = users as [LiveClient]
    const [wall] = walls as [LiveClient]
    const impostor = await event.connect({ type: 'wall', code })
    const phone = await event.connect({ type: 'wechatUser', code })

    // A wall's token cannot act as a user: the seed answered 403 and then ran the action anyway.
    const notUser = { status: 403, event: 'mustBeWechatUser', info: '仅允许微信用户连入' }
    for (const [method, fields] of [
      ['live.user.join', {}],
      ['live.user.say', { say: 'not a user' }],
      ['live.user.out', {}],
      ['live.user.history', {}],
    ] as const) {
      expect(await impostor.call(method, fields, 'mustBeWechatUser', 403)).toEqual(notUser)
    }
    expect((await wall.call('live.wall.history', { type: 'user' }, 'userSayHistory')).param).toBeUndefined()

    const pending = await userSays(ann, walls, 'waiting')
    const shown = (await wall.call('live.wall.say', { say: 'shown' }, 'wallSaySuccess')).param as WallSaid
    await wall.receive('wallSayBroadcast')
    await ann.receive('wallSayBroadcast')
    const notWall = { status: 403, event: 'mustBeWall', info: '仅允许大屏幕用户连入' }
    for (const [method, fields] of [
      ['live.wall.join', {}],
      ['live.wall.say', { say: 'not a wall' }],
      ['live.wall.check', { id: pending, status: 1 }],
      ['live.wall.recall', { id: shown.id }],
      ['live.wall.clean', {}],
      ['live.wall.history', { type: 'user' }],
      ['live.wall.out', {}],
    ] as const) {
      expect(await phone.call(method, fields, 'mustBeWall', 403)).toEqual(notWall)
    }
    await event.expectNothingMore(code, [ann, wall, impostor, phone])
    expect(Object.keys((await wall.call('live.wall.history', { type: 'user' }, 'userSayHistory')).param as object)).toEqual([pending])
    expect((await ann.call('live.user.history', {}, 'wallSayHistory')).param).toMatchObject({ list: [{ id: Number(shown.id) }], count: 1 })

    // The right type, but not joined yet.
    const notJoined = { status: 403, event: 'notJoined', info: '请先加入房间' }
    expect(await phone.call('live.user.say', { say: 'too early' }, 'notJoined', 403)).toEqual(notJoined)
    await impostor.call('live.wall.say', { say: 'too early' }, 'notJoined', 403)
    await impostor.call('live.wall.check', { id: pending, status: 1 }, 'notJoined', 403)
    await impostor.call('live.wall.recall', { id: shown.id }, 'notJoined', 403)
    await impostor.call('live.wall.clean', {}, 'notJoined', 403)
    // Out, then no more saying.
    await wall.call('live.wall.out', {}, 'wallOutSuccess')
    await wall.call('live.wall.say', { say: 'gone' }, 'notJoined', 403)
    await event.expectNothingMore(code, [ann, wall, impostor, phone])

    // A token with no event code.
    const codeIsEmpty = { status: 999, event: 'codeIsEmpty', info: 'code不能为空' }
    const nowhere = await event.connect({ type: 'wechatUser', code: '' })
    expect(await nowhere.call('live.user.join', {}, 'codeIsEmpty', 999)).toEqual(codeIsEmpty)
    await nowhere.call('live.user.out', {}, 'codeIsEmpty', 999)
    const nowhereWall = await event.connect({ type: 'wall', code: '' })
    expect(await nowhereWall.call('live.wall.join', {}, 'codeIsEmpty', 999)).toEqual(codeIsEmpty)
    await nowhereWall.call('live.wall.history', { type: 'other' }, 'codeIsEmpty', 999)
    await wall.call('live.wall.history', { type: 'other' }, 'typeError', 401)
  })

  // A cluster needs the Redis store: this one runs in the Redis + PostgreSQL mode only.
  if (mode.external) {
    it('runs one event over two nodes of a cluster: counts, moderation, history and recall reach both', async () => {
      // node-1 is this suite's daemon (its own event code keeps it apart from the other tests);
      // node-2, started for this test alone, joins it on its Redis prefix and PostgreSQL database.
      const cluster = live()
      const second = await joinSecondNode(cluster)
      try {
        const code = newCode()
        const wall = await cluster.wall(code, {}, 0)
        const ann = await cluster.user(code, {}, 1)
        // The user room's size is the cluster's, counted in Redis.
        expect((await wall.receive('userCount')).param).toEqual({ code, count: 1 })
        const bob = await cluster.user(code, {}, 0)
        expect((await wall.receive('userCount')).param).toEqual({ code, count: 2 })
        const wall2 = await cluster.connect({ type: 'wall', code }, 1)
        await wall2.call('live.wall.join', { extras: true }, 'wallJoinSuccess')
        expect((await wall2.receive('userCount')).param).toEqual({ code, count: 2 })

        const id = await userSays(ann, [wall, wall2], 'across nodes')
        // The pending messages are shared: a wall on either node sees them.
        expect(Object.keys((await wall.call('live.wall.history', { type: 'user' }, 'userSayHistory')).param as object)).toEqual([id])
        wall.send('live.wall.check', { id, status: 1 })
        const shown = (await wall.receive('userSayBroadcast')).param
        await wall.receive('wallCheckSuccess')
        for (const client of [ann, bob, wall2]) expect((await client.receive('userSayBroadcast')).param).toEqual(shown)
        expect((await wall2.receive('userSayChecked')).param).toEqual({ id, approved: true })
        // A second approval from the other node shows nothing.
        await wall2.call('live.wall.check', { id, status: 1 }, 'wallCheckSuccess')

        const said = (await wall2.call('live.wall.say', { say: 'from node 2' }, 'wallSaySuccess')).param as WallSaid
        for (const client of [wall2, ann, bob, wall]) expect((await client.receive('wallSayBroadcast')).param).toEqual(said)
        expect((await ann.call('live.user.history', {}, 'wallSayHistory')).param).toMatchObject({
          list: [{ id: Number(said.id), say: 'from node 2' }],
          count: 1,
        })

        wall.send('live.wall.recall', { id: said.id })
        await wall.receive('wallSayRecall')
        await wall.receive('wallRecallSuccess')
        for (const client of [ann, bob, wall2]) expect((await client.receive('wallSayRecall')).param).toBe(said.id)
        // The approved message is recallable from either node.
        wall2.send('live.wall.recall', { id })
        await wall2.receive('wallSayRecall')
        await wall2.receive('wallRecallSuccess')
        for (const client of [ann, bob, wall]) expect((await client.receive('wallSayRecall')).param).toBe(id)
        expect((await bob.call('live.user.history', {}, 'wallSayHistory')).param).toEqual({ list: [], count: 0 })

        await ann.close()
        for (const w of [wall, wall2]) expect((await w.receive('userCount')).param).toEqual({ code, count: 1 })
      } finally {
        await cluster.closeClients()
        await second.leave()
      }
    })
  }
})

/**
 * Starts node-2 beside `event`'s one node (Redis + PostgreSQL): the same cache.json and
 * db.json, so the same prefix and database. It is the event's node 1 until `leave` stops it.
 */
async function joinSecondNode(event: LiveEvent): Promise<{ leave(): Promise<void> }> {
  const first = event.nodes[0] as LiveNode
  expect(event.nodes).toHaveLength(1)
  const project = await makeProject({ node_id: 'node-2' })
  try {
    for (const file of ['cache.json', 'db.json'])
      await copyFile(path.join(first.project.configDir, file), path.join(project.configDir, file))
    const node: LiveNode = { project, port: (await startDaemon(project)).outside.port }
    event.nodes.push(node)
  } catch (err) {
    await cleanupProject(project)
    throw err
  }
  return {
    async leave() {
      event.nodes.splice(1)
      await cleanupProject(project)
    },
  }
}

/** Envelopes up to the client's reply to a check, and the reply. */
async function untilReply(client: LiveClient): Promise<{ before: Envelope[]; reply: Envelope }> {
  const before: Envelope[] = []
  for (;;) {
    const next = await client.next()
    if (next.event === 'wallCheckSuccess') return { before, reply: next }
    before.push(next)
  }
}
