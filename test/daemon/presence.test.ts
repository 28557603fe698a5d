import { afterEach, describe, expect, it } from 'vitest'
import type { RoomPresence } from '../../src/app-api/types.js'
import type { RoomsListResult } from '../../src/contracts/control-api.js'
import { cli, cliJson, useSharedDaemon } from '../helpers/cli.js'
import { mintToken, TestClient, type Envelope } from '../helpers/client.js'
import { control, EVENT_MS } from '../helpers/cluster.js'
import { poll, within } from '../helpers/poll.js'
import { FIXTURE_APP } from '../helpers/project.js'

/**
 * Room presence on one node (the memory store): app.presence, `rooms
 * --presence`, and the presenceJoin / presenceLeave events of the rooms
 * app.json `presence` names. Auth is off, so a client without a token is
 * anonymous and one with a token is still bound to its uid.
 */
const shared = useSharedDaemon({
  app: FIXTURE_APP,
  setting: { ack: false },
  auth: { enabled: false },
  presence: { rooms: ['pr-*', 'exact-room'] },
})

const opened: TestClient[] = []
afterEach(async () => {
  const clients = opened.splice(0)
  for (const client of clients) client.close()
  await Promise.all(clients.map((client) => client.closed()))
})

async function connect(token?: { id: number | string; code: string }): Promise<TestClient> {
  const { port } = shared().status.outside
  const query = token === undefined ? '' : `?auth=${await mintToken({ type: 'wechatUser', ...token })}`
  const client = await within(TestClient.connect(`ws://127.0.0.1:${port}/${query}`), EVENT_MS, 'connect')
  opened.push(client)
  return client
}

const ask = async (client: TestClient, message: Record<string, unknown>, event: string): Promise<Envelope> =>
  within(client.ask(message, event), EVENT_MS, String(message.method))

const presenceOf = async (client: TestClient, room: string): Promise<RoomPresence> =>
  (await ask(client, { method: 'probe.probe.presence', room }, 'presence')).param as RoomPresence

let nextRoom = 1
/** A presence room of the test's own. */
const presenceRoom = () => `pr-${nextRoom++}`

const PRESENCE = ['presenceJoin', 'presenceLeave']
let nextMarker = 1

/**
 * The presence events `client` gets before a marker sent to `room` now: on
 * one node, every event of a change already made has been written by then.
 */
async function eventsUntilMarker(client: TestClient, room: string): Promise<Envelope[]> {
  const marker = `marker ${nextMarker++}`
  await control(shared().project, 'broadcast', { room, event: 'marker', info: marker })
  const seen: Envelope[] = []
  for (;;) {
    const envelope = JSON.parse(await within(client.nextFrame(), EVENT_MS, 'a frame before the marker')) as Envelope
    if (envelope.event === 'marker' && envelope.info === marker) return seen
    if (PRESENCE.includes(envelope.event)) seen.push(envelope)
  }
}

/** A table as `rooms` prints it: columns padded to their widest cell, three spaces apart. */
function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((row) => row[i]?.length ?? 0))) ?? []
  return rows
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('   ')
        .trimEnd(),
    )
    .join('\n')
}

const join = (room: string, uid: string) => ({ status: 200, event: 'presenceJoin', info: 'joined', param: { room, uid } })
const leave = (room: string, uid: string) => ({ status: 200, event: 'presenceLeave', info: 'left', param: { room, uid } })

describe('app.presence', () => {
  it("answers a room's uids with their connections there, and counts anonymous connections in the total", async () => {
    const room = presenceRoom()
    const asker = await connect({ id: 'asker', code: 'pr-elsewhere' })
    await connect({ id: 7, code: room })
    await connect({ id: 7, code: room })
    await connect({ id: 12, code: room })
    const anonymous = await connect()
    await ask(anonymous, { method: 'probe.probe.join', room }, 'joined')

    expect(await presenceOf(asker, room)).toEqual({
      room,
      connections: 4,
      anonymous: 1,
      uids: [
        { uid: '7', connections: 2 },
        { uid: '12', connections: 1 },
      ],
    })

    // A uid a controller binds counts from then on, beside the token's: the connection counts for both.
    await ask(anonymous, { method: 'probe.probe.bind', uid: 'guest' }, 'bound')
    const twoUids = await connect({ id: 12, code: 'pr-unrelated' })
    await ask(twoUids, { method: 'probe.probe.join', room }, 'joined')
    await ask(twoUids, { method: 'probe.probe.bind', uid: 'guest' }, 'bound')
    expect(await presenceOf(asker, room)).toEqual({
      room,
      connections: 5,
      anonymous: 0,
      uids: [
        { uid: '7', connections: 2 },
        { uid: '12', connections: 2 },
        { uid: 'guest', connections: 2 },
      ],
    })
  })

  it('answers for any room, not only the presence rooms, and an empty one for a room nobody is in', async () => {
    const plain = `plain-${nextRoom++}`
    const member = await connect({ id: 31, code: plain })
    expect(await presenceOf(member, plain)).toEqual({ room: plain, connections: 1, anonymous: 0, uids: [{ uid: '31', connections: 1 }] })
    expect(await presenceOf(member, 'nobody-here')).toEqual({ room: 'nobody-here', connections: 0, anonymous: 0, uids: [] })
  })
})

describe('mswoole rooms --presence', () => {
  it('prints one row per uid of each room, anonymous connections as uid -, and --json the same as rooms.list', async () => {
    const prefix = `cli-${nextRoom++}-`
    const [a, b] = [`${prefix}a`, `${prefix}b`]
    await connect({ id: 7, code: a })
    await connect({ id: 7, code: a })
    await connect({ id: 900, code: a })
    await connect({ id: 12, code: b })
    const anonymous = await connect()
    await ask(anonymous, { method: 'probe.probe.join', room: b }, 'joined')
    const { project } = shared()

    const printed = await cli(project, ['rooms', '--presence', '--prefix', prefix])
    expect(printed.exitCode, printed.stderr).toBe(0)
    expect(printed.stdout).toBe(
      table([
        ['ROOM', 'UID', 'CONNECTIONS'],
        [a, '7', '2'],
        [a, '900', '1'],
        [b, '12', '1'],
        [b, '-', '1'],
      ]),
    )

    const json = await cliJson<RoomsListResult>(project, ['rooms', '--presence', '--prefix', prefix])
    expect(json.exitCode, json.stderr).toBe(0)
    const expected: RoomsListResult = {
      total: 2,
      offset: 0,
      limit: 100,
      rooms: [
        {
          name: a,
          members: 3,
          anonymous: 0,
          uids: [
            { uid: '7', connections: 2 },
            { uid: '900', connections: 1 },
          ],
        },
        { name: b, members: 2, anonymous: 1, uids: [{ uid: '12', connections: 1 }] },
      ],
    }
    expect(json.json).toEqual(expected)
    expect(await control(project, 'rooms.list', { prefix, presence: true })).toEqual(expected)

    // Without the flag, rooms is as it always was.
    expect((await cli(project, ['rooms', '--prefix', prefix])).stdout).toBe(
      table([
        ['NAME', 'MEMBERS'],
        [a, '3'],
        [b, '2'],
      ]),
    )
    expect((await cliJson<RoomsListResult>(project, ['rooms', '--prefix', prefix])).json.rooms).toEqual([
      { name: a, members: 3 },
      { name: b, members: 2 },
    ])

    // Pages are of rooms, each with all of its rows.
    const page = await cli(project, ['rooms', '--presence', '--prefix', prefix, '--limit', '1', '--offset', '1'])
    const rows = [
      ['ROOM', 'UID', 'CONNECTIONS'],
      [b, '12', '1'],
      [b, '-', '1'],
    ]
    expect(page.stdout).toBe(`${table(rows)}\n1 of 2 rooms (from offset 1)`)
    expect((await cli(project, ['rooms', '--presence', '--prefix', 'nothing-by-this-name'])).stdout).toBe('no rooms')
  })

  it('takes presence=1 on the manager port as well', async () => {
    const room = `rest-${nextRoom++}`
    await connect({ id: 5, code: room })
    const { manager } = shared().status
    const answer = await fetch(`http://127.0.0.1:${manager.port}/api/rooms?prefix=${room}&presence=1`)
    expect(answer.status).toBe(200)
    expect(((await answer.json()) as RoomsListResult).rooms).toEqual([
      { name: room, members: 1, anonymous: 0, uids: [{ uid: '5', connections: 1 }] },
    ])
  })
})

describe('presence events', () => {
  it("sends presenceJoin at a uid's first connection to the room and presenceLeave at its last one's close, once each", async () => {
    const room = presenceRoom()
    const observer = await connect({ id: 'observer', code: room })
    // Asking skips a client's other frames: this one asks, the observer only listens.
    const asker = await connect({ id: 'asker', code: 'elsewhere' })
    expect(await eventsUntilMarker(observer, room)).toEqual([join(room, 'observer')])

    const tab1 = await connect({ id: 7, code: room })
    // The room has it, the connection that came in too.
    expect(await eventsUntilMarker(observer, room)).toEqual([join(room, '7')])
    expect(await eventsUntilMarker(tab1, room)).toEqual([join(room, '7')])

    // A second tab of the same uid: nothing.
    const tab2 = await connect({ id: 7, code: room })
    expect(await eventsUntilMarker(observer, room)).toEqual([])

    // One tab of two closes: nothing. Its close is counted once the room no longer lists it.
    tab1.close()
    await tab1.closed()
    await poll(
      () => presenceOf(asker, room),
      (p) => p.connections === 2,
    )
    expect(await eventsUntilMarker(observer, room)).toEqual([])

    // The last one: presenceLeave, to the ones still there.
    tab2.close()
    await tab2.closed()
    expect(await within(observer.next('presenceLeave'), EVENT_MS, 'presenceLeave')).toEqual(leave(room, '7'))
    expect(await eventsUntilMarker(observer, room)).toEqual([])
    expect(await presenceOf(observer, room)).toEqual({ room, connections: 1, anonymous: 0, uids: [{ uid: 'observer', connections: 1 }] })
  })

  it('follows app.join, app.leave, bindUid and unbindUid, and app.join answers after the room has its presenceJoin', async () => {
    const room = presenceRoom()
    const observer = await connect({ id: 'observer', code: room })
    await eventsUntilMarker(observer, room)

    // Joined by a controller: the joining client has the event before the controller's answer.
    const member = await connect({ id: 44, code: `lobby-${nextRoom++}` })
    member.send({ method: 'probe.probe.join', room })
    const [first, second] = [JSON.parse(await member.nextFrame()), JSON.parse(await member.nextFrame())] as Envelope[]
    expect(first).toEqual(join(room, '44'))
    expect(second).toMatchObject({ event: 'joined', info: room })
    expect(await eventsUntilMarker(observer, room)).toEqual([join(room, '44')])

    // An anonymous connection in the room is not a uid; binding one makes it one, unbinding it goes.
    const anonymous = await connect()
    await ask(anonymous, { method: 'probe.probe.join', room }, 'joined')
    expect(await eventsUntilMarker(observer, room)).toEqual([])
    await ask(anonymous, { method: 'probe.probe.bind', uid: 'late' }, 'bound')
    expect(await eventsUntilMarker(observer, room)).toEqual([join(room, 'late')])
    // Binding the uid a second time changes nothing.
    await ask(anonymous, { method: 'probe.probe.bind', uid: 'late' }, 'bound')
    expect(await eventsUntilMarker(observer, room)).toEqual([])
    await ask(anonymous, { method: 'probe.probe.unbind', uid: 'late' }, 'unbound')
    expect(await eventsUntilMarker(observer, room)).toEqual([leave(room, 'late')])

    // Left by a controller: the room hears it, the one that left does not.
    await ask(member, { method: 'probe.probe.leave', room }, 'left')
    expect(await eventsUntilMarker(observer, room)).toEqual([leave(room, '44')])
    expect(await presenceOf(member, room)).toMatchObject({ connections: 2, anonymous: 1 })
  })

  it('leaves rooms that app.json does not name as they were, and takes a name without * as it is', async () => {
    const plain = `plain-${nextRoom++}`
    const observer = await connect({ id: 'observer', code: plain })
    await connect({ id: 8, code: plain })
    expect(await eventsUntilMarker(observer, plain)).toEqual([])

    const exact = await connect({ id: 'observer', code: 'exact-room' })
    expect(await eventsUntilMarker(exact, 'exact-room')).toEqual([join('exact-room', 'observer')])
    const longer = await connect({ id: 'observer', code: 'exact-room-2' })
    expect(await eventsUntilMarker(longer, 'exact-room-2')).toEqual([])
  })
})
