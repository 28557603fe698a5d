import { describe, expect, it } from 'vitest'
import { cliJson, startDaemon, useProjects, useSharedDaemon } from '../helpers/cli.js'
import { mintToken, TestClient } from '../helpers/client.js'
import { FIXTURE_APP, readLogLines } from '../helpers/project.js'

const project = useProjects()

async function connect(port: number, id: number, code = 'room1'): Promise<TestClient> {
  return TestClient.connect(`ws://127.0.0.1:${port}/?auth=${await mintToken({ id, type: 'wechatUser', code })}`)
}

async function fdOf(c: TestClient): Promise<number> {
  return ((await c.ask({ method: 'index.index.echo' }, 'echo')).param as { fd: number }).fd
}

describe('the App API', () => {
  // Every test here works in rooms, token codes, uids and fds of its own.
  const shared = useSharedDaemon({ app: FIXTURE_APP, setting: { ack: false } })

  it('sends to a room except the sender, and joins each client to its token code room', async () => {
    const { outside } = shared().status
    // A room and token codes of this test's own, so the counts are its clients only.
    const [a, b, c] = await Promise.all([
      connect(outside.port, 1, 'say-code'),
      connect(outside.port, 2, 'say-code'),
      connect(outside.port, 3, 'say-other'),
    ])
    expect((await a.ask({ method: 'probe.probe.join', room: 'say-room' }, 'joined')).param).toEqual({ count: 1 })
    expect((await b.ask({ method: 'probe.probe.join', room: 'say-room' }, 'joined')).param).toEqual({ count: 2 })
    await a.ask({ method: 'probe.probe.say', room: 'say-room', text: 'hi' }, 'sent')
    expect(await b.next('said')).toMatchObject({ info: 'hi', param: { from: await fdOf(a) } })
    // The token's code is a room too: a and b share "say-code", c does not.
    await c.ask({ method: 'probe.probe.say', room: 'say-code', text: 'to say-code' }, 'sent')
    expect((await a.next('said')).info).toBe('to say-code')
    expect((await b.next('said')).info).toBe('to say-code')
    expect((await a.ask({ method: 'probe.probe.members', room: 'say-code' }, 'members')).param).toHaveLength(2)
    await b.ask({ method: 'probe.probe.leave', room: 'say-room' }, 'left')
    expect((await a.ask({ method: 'probe.probe.members', room: 'say-room' }, 'members')).param).toEqual([await fdOf(a)])
    for (const x of [a, b, c]) x.close()
  })

  it('on close removes the fd from its rooms and close-key sets, then runs onClose exactly once', async () => {
    const { outside } = shared().status
    // fds are never reused, so closed:<fd> is this connection's alone. The probe's onClose checks
    // "probe-room", which only this test joins; its token code room and set key are its own too.
    const leaving = await connect(outside.port, 1, 'close-code')
    const staying = await connect(outside.port, 2, 'close-code')
    const fd = await fdOf(leaving)
    await leaving.ask({ method: 'probe.probe.join', room: 'probe-room' }, 'joined')
    await leaving.ask({ method: 'probe.probe.addToSet', key: 'seed-set' }, 'added')
    await staying.ask({ method: 'probe.probe.addToSet', key: 'seed-set' }, 'added')
    leaving.close()
    await leaving.closed()
    // onClose increments closed:<fd>, then sets closedStillMember:<fd>; wait for the last of
    // them through the store rather than a timer. A null value leaves param out (the seed's empty() rule).
    const get = async (key: string) => (await staying.ask({ method: 'probe.probe.get', key }, 'value')).param
    let stillMember: unknown
    for (let i = 0; i < 200 && stillMember === undefined; i++) stillMember = await get(`closedStillMember:${fd}`)
    expect(stillMember).toBe('false')
    expect(await get(`closed:${fd}`)).toBe('1')
    expect((await staying.ask({ method: 'probe.probe.setMembers', key: 'seed-set' }, 'setMembers')).param).toEqual([await fdOf(staying)])
    expect((await staying.ask({ method: 'probe.probe.members', room: 'close-code' }, 'members')).param).toEqual([await fdOf(staying)])
    staying.close()
  })

  it('binds uids; a reconnecting user keeps receiving after the old connection closes', async () => {
    const { outside } = shared().status
    // Uids 77 and "extra" are this test's alone (no other test connects as 77 or 5, or binds).
    const old = await connect(outside.port, 77, 'uid-code')
    const fresh = await connect(outside.port, 77, 'uid-code')
    const sender = await connect(outside.port, 5, 'uid-code')
    // The token's id is bound at open: both connections of user 77 are there.
    expect(((await sender.ask({ method: 'probe.probe.bind', uid: 'extra' }, 'bound')).param as number[]).length).toBe(1)
    await sender.ask({ method: 'probe.probe.toUid', uid: '77', text: 'both' }, 'sent')
    expect((await old.next('forUid')).info).toBe('both')
    expect((await fresh.next('forUid')).info).toBe('both')
    old.close()
    await old.closed()
    await sender.ask({ method: 'probe.probe.toUid', uid: '77', text: 'after' }, 'sent')
    expect((await fresh.next('forUid')).info).toBe('after')
    fresh.close()
    sender.close()
  })

  it('keeps per-connection session data and offers a key-value store', async () => {
    const { outside } = shared().status
    const a = await connect(outside.port, 1)
    const b = await connect(outside.port, 2)
    expect((await a.ask({ method: 'probe.probe.session', set: { seat: 'A1' } }, 'session')).param).toEqual({ seat: 'A1' })
    expect((await a.ask({ method: 'probe.probe.session', set: { row: 3 } }, 'session')).param).toEqual({ seat: 'A1', row: 3 })
    // An empty session: param is left out, as the seed's empty($param) did.
    expect((await b.ask({ method: 'probe.probe.session' }, 'session')).param).toBeUndefined()
    expect((await a.ask({ method: 'probe.probe.storeTypes' }, 'storeTypes')).param).toEqual({
      s: 'v',
      ttl: true,
      h: { f: '1' },
      l: ['a', 'b'],
      set: ['x'],
    })
    a.close()
    b.close()
  })
})

describe('the App API at stop', () => {
  it('runs onClose for every client on stop, before the daemon exits', async () => {
    const p = await project({ app: FIXTURE_APP, setting: { ack: false } })
    const { outside } = await startDaemon(p)
    const clients = await Promise.all([1, 2, 3].map((id) => connect(outside.port, id)))
    for (const c of clients) await c.ask({ method: 'probe.probe.join', room: 'probe-room' }, 'joined')
    expect((await cliJson(p, ['stop'])).exitCode).toBe(0)
    const lines = await readLogLines(p)
    const hooks = lines.filter((line) => line.msg === 'probe onClose')
    expect(hooks).toHaveLength(3)
    expect(hooks.every((line) => line.closeCode === 1001)).toBe(true)
    expect(lines.findIndex((line) => line.msg === 'probe onClose')).toBeLessThan(lines.findIndex((line) => line.msg === 'stopped'))
  })
})
