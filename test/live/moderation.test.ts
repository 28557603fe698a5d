import { copyFile } from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { cleanupProject, startDaemon } from '../helpers/cli.js'
import type { Envelope } from '../helpers/client.js'
import { LIVE_MODES, newCode, newUserId, useLiveEvent, useLiveServers, type LiveClient, type LiveEvent, type LiveNode } from '../helpers/live.js'
import { makeProject } from '../helpers/project.js'

/**
 * The Live module's flow: phones say, walls moderate, approved messages reach
 * every phone and screen of the event and its history, recalled ones leave
 * it; and nothing of one event ever reaches another.
 */

const servers = useLiveServers()

/** What a pending message looks like to the walls. */
const pendingShape = (userId: number, nickname: string, say: string) => ({ id: expect.any(String), userId: String(userId), nickname, say, createdAt: expect.any(Number) })

/** A user says something; the user's reply and every wall's userSayNeedCheck are read. Returns the pending id. */
async function userSays(user: LiveClient, walls: LiveClient[], say: string): Promise<string> {
  const reply = await user.call('live.user.say', { say }, 'userSaySuccess')
  const id = reply.param as string
  for (const wall of walls) expect((await wall.receive('userSayNeedCheck')).param).toMatchObject({ id, say })
  return id
}

/** Every event of a room: users then walls, all told of each new user. */
async function room(event: LiveEvent, code: string, users: number, walls: number): Promise<{ users: LiveClient[]; walls: LiveClient[] }> {
  const wallClients: LiveClient[] = []
  for (let i = 0; i < walls; i++) wallClients.push(await event.wall(code))
  const userClients: LiveClient[] = []
  for (let i = 0; i < users; i++) {
    userClients.push(await event.user(code))
    for (const wall of wallClients) expect((await wall.receive('userCount')).param).toEqual({ count: i + 1 })
  }
  return { users: userClients, walls: wallClients }
}

describe.each(LIVE_MODES)('the Live module, $name', (mode) => {
  const live = useLiveEvent(servers, mode)

  it('joins users and a wall to one event; a user message goes to the walls for approval, not to the users', async () => {
    const event = live()
    const code = newCode()
    const wall = await event.connect({ type: 'wall', code, nickname: 'Big Screen' })
    expect(await wall.call('live.wall.join', {}, 'wallJoinSuccess')).toMatchObject({ status: 200, param: { code } })
    expect((await wall.receive('userCount')).param).toEqual({ count: 0 })

    const annId = newUserId()
    const ann = await event.connect({ type: 'wechatUser', code, id: annId, nickname: 'Ann' })
    expect(await ann.call('live.user.join', {}, 'userJoinSuccess')).toMatchObject({ status: 200, param: { code } })
    expect((await wall.receive('userCount')).param).toEqual({ count: 1 })
    const bob = await event.user(code)
    expect((await wall.receive('userCount')).param).toEqual({ count: 2 })

    const reply = await ann.call('live.user.say', { say: 'hello' }, 'userSaySuccess')
    expect(reply.param).toEqual(expect.any(String))
    const needCheck = await wall.receive('userSayNeedCheck')
    expect(needCheck.param).toEqual({ ...pendingShape(annId, 'Ann', 'hello'), id: reply.param })
    await event.expectNothingMore(code, [ann, bob, wall])

    expect((await wall.call('live.wall.history', { type: 'user' }, 'userSayHistory')).param).toEqual([needCheck.param])
    // Not approved yet: no history.
    expect((await bob.call('live.user.history', {}, 'wallSayHistory')).param).toEqual([])
  })

  it('approves a message: every user and wall gets userSayBroadcast once, and it is stored in the history', async () => {
    const event = live()
    const code = newCode()
    const { users, walls } = await room(event, code, 2, 2)
    const [ann, bob] = users as [LiveClient, LiveClient]
    const [first, second] = walls as [LiveClient, LiveClient]
    const id = await userSays(ann, walls, 'approve me')

    first.send('live.wall.check', { id, status: 1 })
    const shown = (await ann.receive('userSayBroadcast')).param as Record<string, unknown>
    expect(shown).toEqual({ id: expect.any(Number), code, kind: 'user', userId: expect.any(String), nickname: expect.any(String), say: 'approve me', status: 1, createdAt: expect.any(Number), pendingId: id })
    for (const client of [bob, first, second]) expect((await client.receive('userSayBroadcast')).param).toEqual(shown)
    expect((await first.receive('wallCheckSuccess')).param).toBe(id)
    // The other wall drops it from its pending list.
    expect((await second.receive('userSayChecked')).param).toEqual({ id, approved: true })
    await event.expectNothingMore(code, [ann, bob, first, second])

    const { pendingId: _pendingId, ...stored } = shown
    expect((await bob.call('live.user.history', {}, 'wallSayHistory')).param).toEqual([stored])
    expect((await second.call('live.wall.history', {}, 'wallSayHistory')).param).toEqual([stored])
    expect((await second.call('live.wall.history', { type: 'user' }, 'userSayHistory')).param).toEqual([])
    expect(await event.row(stored.id as number)).toMatchObject({ code, kind: 'user', say: 'approve me', recalled_at: null })
    // Approved once only.
    expect((await second.call('live.wall.check', { id, status: 1 }, 'messageNotFound', 404)).status).toBe(404)
  })

  it('rejects a message: no broadcast, no history, gone from the pending list', async () => {
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
    const pending = (await second.call('live.wall.history', { type: 'user' }, 'userSayHistory')).param as Array<{ id: string }>
    expect(pending.map((message) => message.id)).toEqual([kept])
    expect((await ann.call('live.user.history', {}, 'wallSayHistory')).param).toEqual([])
    // A rejected message cannot be approved afterwards.
    await first.call('live.wall.check', { id, status: 1 }, 'messageNotFound', 404)
    await first.call('live.wall.check', { id, status: 0 }, 'messageNotFound', 404)
    await first.call('live.wall.check', { id: 'no-such-id', status: 1 }, 'messageNotFound', 404)
    await first.call('live.wall.check', { status: 1 }, 'badRequest', 400)
  })

  it('lets exactly one of two walls approving the same message at once win: one broadcast, one success, one 404', async () => {
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
      const replies = [gotFirst.reply.event, gotSecond.reply.event].sort()
      expect(replies, `round ${round}`).toEqual(['messageNotFound', 'wallCheckSuccess'])
      // Collected up to the marker, so a second broadcast could not hide behind the first.
      const seen = [
        ...gotFirst.before,
        ...gotSecond.before,
        ...(await event.receivedBeforeMarker(code, first)),
        ...(await event.receivedBeforeMarker(code, second)),
      ]
      // Both walls get the one broadcast; the loser also hears that the winner moderated it.
      expect(seen.map((e) => e.event).sort()).toEqual(['userSayBroadcast', 'userSayBroadcast', 'userSayChecked'])
      expect((await event.receivedBeforeMarker(code, ann)).map((e) => [e.event, (e.param as { say: string }).say])).toEqual([['userSayBroadcast', `race ${round}`]])
    }
    const history = (await ann.call('live.user.history', { count: 20 }, 'wallSayHistory')).param as Array<{ say: string }>
    expect(history.map((m) => m.say)).toEqual(['race 5', 'race 4', 'race 3', 'race 2', 'race 1'])
  })

  it('recalls a message: wallSayRecall to users and walls, gone from the history, the row kept with status 0', async () => {
    const event = live()
    const code = newCode()
    const { users, walls } = await room(event, code, 1, 2)
    const [ann] = users as [LiveClient]
    const [first, second] = walls as [LiveClient, LiveClient]

    const said = await first.call('live.wall.say', { say: 'from the stage' }, 'wallSaySuccess')
    const message = said.param as { id: number }
    expect(message).toEqual({ id: expect.any(Number), code, kind: 'wall', userId: expect.any(String), nickname: expect.any(String), say: 'from the stage', status: 1, createdAt: expect.any(Number) })
    expect((await ann.receive('wallSayBroadcast')).param).toEqual(message)
    expect((await second.receive('wallSayBroadcast')).param).toEqual(message)
    const kept = (await first.call('live.wall.say', { say: 'stays' }, 'wallSaySuccess')).param as { id: number }
    await ann.receive('wallSayBroadcast')
    await second.receive('wallSayBroadcast')
    await event.expectNothingMore(code, [ann, first, second])

    first.send('live.wall.recall', { id: message.id })
    for (const client of [ann, second, first]) expect((await client.receive('wallSayRecall')).param).toBe(message.id)
    expect((await first.receive('wallRecallSuccess')).param).toBe(message.id)
    await event.expectNothingMore(code, [ann, first, second])

    expect((await ann.call('live.user.history', {}, 'wallSayHistory')).param).toEqual([kept])
    const row = await event.row(message.id)
    expect(row).toMatchObject({ id: message.id, code, say: 'from the stage' })
    expect(Number(row?.status)).toBe(0)
    expect(Number(row?.recalled_at)).toBeGreaterThan(0)

    // Already recalled, unknown, malformed: nothing is sent to anyone else.
    await second.call('live.wall.recall', { id: message.id }, 'messageNotFound', 404)
    await second.call('live.wall.recall', { id: 987_654_321 }, 'messageNotFound', 404)
    await second.call('live.wall.recall', { id: 'abc' }, 'badRequest', 400)
    await event.expectNothingMore(code, [ann, first, second])
    expect(Number((await event.row(kept.id))?.status)).toBe(1)
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
    const said = (await wallA.call('live.wall.say', { say: 'A wall' }, 'wallSaySuccess')).param as { id: number }
    for (const client of [ann, amy, wallA2]) await client.receive('wallSayBroadcast')
    wallA.send('live.wall.recall', { id: said.id })
    for (const client of [ann, amy, wallA2, wallA]) await client.receive('wallSayRecall')
    await wallA.receive('wallRecallSuccess')
    await event.expectNothingMore(codeA, [ann, amy, wallA, wallA2])

    // Event B's walls cannot see, approve or recall event A's messages.
    const [wallB] = b.walls as [LiveClient]
    expect((await wallB.call('live.wall.history', { type: 'user' }, 'userSayHistory')).param).toEqual([])
    const pendingA = (await wallA.call('live.wall.history', { type: 'user' }, 'userSayHistory')).param as Array<{ id: string }>
    expect(pendingA).toHaveLength(1)
    await wallB.call('live.wall.check', { id: pendingA[0]?.id, status: 1 }, 'messageNotFound', 404)
    const shownA = (await ann.call('live.user.history', {}, 'wallSayHistory')).param as Array<{ id: number }>
    expect(shownA).toHaveLength(1)
    await wallB.call('live.wall.recall', { id: shownA[0]?.id }, 'messageNotFound', 404)
    expect((await b.users[0]?.call('live.user.history', {}, 'wallSayHistory'))?.param).toEqual([])
    expect((await wallA.call('live.wall.history', { type: 'user' }, 'userSayHistory')).param).toEqual(pendingA)

    await wallA.call('live.wall.clean', {}, 'wallCleanSuccess')
    await wallA2.receive('userSayCleaned')
    await amy.call('live.user.out', {}, 'userOutSuccess')
    for (const wall of a.walls) expect((await wall.receive('userCount')).param).toEqual({ count: 1 })
    await ann.close()
    for (const wall of a.walls) expect((await wall.receive('userCount')).param).toEqual({ count: 0 })
    await event.expectNothingMore(codeA, [amy, wallA, wallA2])

    // Not one of those events reached event B.
    await event.expectNothingMore(codeB, bClients)
  })

  it('stops an action whose token is of the wrong type: 403, and nothing is queued, shown or recalled', async () => {
    const event = live()
    const code = newCode()
    const { users, walls } = await room(event, code, 1, 1)
    const [ann] = users as [LiveClient]
    const [wall] = walls as [LiveClient]
    const impostor = await event.connect({ type: 'wall', code })
    const phone = await event.connect({ type: 'wechatUser', code })

    // A wall's token cannot act as a user: the seed answered 403 and then ran the action anyway.
    await impostor.call('live.user.join', {}, 'mustBeWechatUser', 403)
    await impostor.call('live.user.say', { say: 'not a user' }, 'mustBeWechatUser', 403)
    await impostor.call('live.user.out', {}, 'mustBeWechatUser', 403)
    await impostor.call('live.user.history', {}, 'mustBeWechatUser', 403)
    expect((await wall.call('live.wall.history', { type: 'user' }, 'userSayHistory')).param).toEqual([])

    const pending = await userSays(ann, walls, 'waiting')
    const shown = (await wall.call('live.wall.say', { say: 'shown' }, 'wallSaySuccess')).param as { id: number }
    await ann.receive('wallSayBroadcast')
    for (const [method, fields] of [
      ['live.wall.join', {}],
      ['live.wall.say', { say: 'not a wall' }],
      ['live.wall.check', { id: pending, status: 1 }],
      ['live.wall.recall', { id: shown.id }],
      ['live.wall.clean', {}],
      ['live.wall.history', { type: 'user' }],
      ['live.wall.out', {}],
    ] as const) {
      await phone.call(method, fields, 'mustBeWall', 403)
    }
    await event.expectNothingMore(code, [ann, wall, impostor, phone])
    expect((await wall.call('live.wall.history', { type: 'user' }, 'userSayHistory')).param).toMatchObject([{ id: pending }])
    expect((await ann.call('live.user.history', {}, 'wallSayHistory')).param).toEqual([shown])

    // The right type, but not joined yet.
    await phone.call('live.user.say', { say: 'too early' }, 'notJoined', 403)
    await impostor.call('live.wall.say', { say: 'too early' }, 'notJoined', 403)
    await impostor.call('live.wall.check', { id: pending, status: 1 }, 'notJoined', 403)
    await impostor.call('live.wall.recall', { id: shown.id }, 'notJoined', 403)
    await impostor.call('live.wall.clean', {}, 'notJoined', 403)
    // Out, then no more saying.
    await wall.call('live.wall.out', {}, 'wallOutSuccess')
    await wall.call('live.wall.say', { say: 'gone' }, 'notJoined', 403)
    await event.expectNothingMore(code, [ann, wall, impostor, phone])

    // A token with no event code.
    const nowhere = await event.connect({ type: 'wechatUser', code: '' })
    await nowhere.call('live.user.join', {}, 'codeIsEmpty', 400)
    const nowhereWall = await event.connect({ type: 'wall', code: '' })
    await nowhereWall.call('live.wall.join', {}, 'codeIsEmpty', 400)
    await nowhereWall.call('live.wall.history', { type: 'other' }, 'codeIsEmpty', 400)
    await wall.call('live.wall.history', { type: 'other' }, 'typeError', 400)
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
        expect((await wall.receive('userCount')).param).toEqual({ count: 1 })
        const bob = await cluster.user(code, {}, 0)
        expect((await wall.receive('userCount')).param).toEqual({ count: 2 })
        const wall2 = await cluster.connect({ type: 'wall', code }, 1)
        await wall2.call('live.wall.join', {}, 'wallJoinSuccess')
        expect((await wall2.receive('userCount')).param).toEqual({ count: 2 })

        const id = await userSays(ann, [wall, wall2], 'across nodes')
        // The pending messages are shared: a wall on either node sees them.
        expect((await wall.call('live.wall.history', { type: 'user' }, 'userSayHistory')).param).toMatchObject([{ id }])
        wall.send('live.wall.check', { id, status: 1 })
        const shown = (await wall.receive('userSayBroadcast')).param as { id: number }
        await wall.receive('wallCheckSuccess')
        for (const client of [ann, bob, wall2]) expect((await client.receive('userSayBroadcast')).param).toEqual(shown)
        expect((await wall2.receive('userSayChecked')).param).toEqual({ id, approved: true })
        // A second approval from the other node finds nothing.
        await wall2.call('live.wall.check', { id, status: 1 }, 'messageNotFound', 404)
        const { pendingId: _pendingId, ...stored } = shown as { id: number; pendingId: string }
        expect((await ann.call('live.user.history', {}, 'wallSayHistory')).param).toEqual([stored])

        wall2.send('live.wall.recall', { id: shown.id })
        await wall2.receive('wallSayRecall')
        await wall2.receive('wallRecallSuccess')
        for (const client of [ann, bob, wall]) expect((await client.receive('wallSayRecall')).param).toBe(shown.id)
        expect((await bob.call('live.user.history', {}, 'wallSayHistory')).param).toEqual([])

        await ann.close()
        for (const w of [wall, wall2]) expect((await w.receive('userCount')).param).toEqual({ count: 1 })
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
    for (const file of ['cache.json', 'db.json']) await copyFile(path.join(first.project.configDir, file), path.join(project.configDir, file))
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

/** Envelopes up to the client's reply to a check (success or 404), and the reply. */
async function untilReply(client: LiveClient): Promise<{ before: Envelope[]; reply: Envelope }> {
  const before: Envelope[] = []
  for (;;) {
    const next = await client.next()
    if (next.event === 'wallCheckSuccess' || next.event === 'messageNotFound') return { before, reply: next }
    before.push(next)
  }
}
