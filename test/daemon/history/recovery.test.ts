import { describe, expect, it } from 'vitest'
import { withDaemon } from '../../../src/ipc/client.js'
import { useSharedDaemon } from '../../helpers/cli.js'
import { mintToken, TestClient, type Envelope } from '../../helpers/client.js'
import type { Project } from '../../helpers/project.js'

/** An envelope of a room's history, as a client gets it. */
interface Sequenced extends Envelope {
  seq?: { room: string; epoch: string; offset: number }
}

interface Recovered extends Envelope {
  param: { room: string; recovered: boolean; count?: number; epoch?: string; offset?: number }
}

const SIZE = 100

let nextId = 1
async function connect(port: number, code: string): Promise<TestClient> {
  return TestClient.connect(`ws://127.0.0.1:${port}/?auth=${await mintToken({ id: nextId++, type: 'wechatUser', code })}`)
}

async function broadcast(project: Project, room: string, infos: string[]): Promise<void> {
  await withDaemon(project.socket, async (c) => {
    // In order: each call is answered before the next is made.
    for (const info of infos) await c.call('broadcast', { room, event: 'tick', info })
  })
}

const numbered = (from: number, count: number) => Array.from({ length: count }, (_, i) => `m${from + i}`)

/** The next frames up to and including the `recovered` answer. */
async function untilRecovered(client: TestClient): Promise<{ replayed: Sequenced[]; answer: Recovered }> {
  const replayed: Sequenced[] = []
  for (;;) {
    const envelope = JSON.parse(await client.nextFrame()) as Sequenced
    if (envelope.event === 'recovered') return { replayed, answer: envelope as Recovered }
    replayed.push(envelope)
  }
}

describe('room history on one node', () => {
  const daemon = useSharedDaemon({ setting: { ack: false }, history: { size: SIZE, ttl: 300 } })

  it('numbers a room’s messages and leaves a single connection’s without a seq', async () => {
    const { project, status } = daemon()
    const client = await connect(status.outside.port, 'h-numbered')
    await broadcast(project, 'h-numbered', ['a', 'b'])
    const a = JSON.parse(await client.nextFrame()) as Sequenced
    const b = JSON.parse(await client.nextFrame()) as Sequenced
    expect(a).toMatchObject({ status: 200, event: 'tick', info: 'a', seq: { room: 'h-numbered', offset: 1 } })
    expect(b.seq).toEqual({ room: 'h-numbered', epoch: a.seq?.epoch, offset: 2 })
    expect(Object.keys(a)).toEqual(['status', 'event', 'info', 'seq'])
    const echo = (await client.ask({ method: 'index.index.echo' }, 'echo')) as Sequenced
    expect(echo.seq).toBeUndefined()
    client.close()
  })

  it('replays exactly what a client missed, in order, then the live messages, nothing twice', async () => {
    const { project, status } = daemon()
    const room = 'h-missed'
    const first = await connect(status.outside.port, room)
    await broadcast(project, room, ['before'])
    const last = JSON.parse(await first.nextFrame()) as Sequenced
    first.close()
    await first.closed()
    await broadcast(project, room, numbered(1, 50))

    const again = await connect(status.outside.port, room)
    again.send({ method: '@recover', room, epoch: last.seq?.epoch, offset: last.seq?.offset })
    const { replayed, answer } = await untilRecovered(again)
    expect(replayed.map((e) => e.info)).toEqual(numbered(1, 50))
    expect(replayed.map((e) => e.seq?.offset)).toEqual(numbered(2, 50).map((_, i) => i + 2))
    expect(answer).toMatchObject({ status: 200, event: 'recovered', param: { room, recovered: true, count: 50, offset: 51 } })

    await broadcast(project, room, ['live'])
    // Recovering again from the start of the replay writes nothing it already wrote.
    again.send({ method: '@recover', room, epoch: last.seq?.epoch, offset: last.seq?.offset })
    const live = JSON.parse(await again.nextFrame()) as Sequenced
    expect(live).toMatchObject({ info: 'live', seq: { offset: 52 } })
    const second = await untilRecovered(again)
    expect(second.replayed).toEqual([])
    expect(second.answer.param).toMatchObject({ recovered: true, count: 0 })
    again.close()
  })

  it('still replays what came before a live message that reached the client ahead of its @recover', async () => {
    const { project, status } = daemon()
    const room = 'h-ahead'
    const first = await connect(status.outside.port, room)
    await broadcast(project, room, ['m1'])
    const had = JSON.parse(await first.nextFrame()) as Sequenced
    first.close()
    await first.closed()
    await broadcast(project, room, numbered(2, 4))

    // The new connection is in the room from its open: m6 reaches it before it asks.
    const again = await connect(status.outside.port, room)
    await broadcast(project, room, ['m6'])
    expect(JSON.parse(await again.nextFrame())).toMatchObject({ info: 'm6', seq: { offset: 6 } })
    again.send({ method: '@recover', room, epoch: had.seq?.epoch, offset: had.seq?.offset })
    const { replayed, answer } = await untilRecovered(again)
    expect(replayed.map((e) => e.info)).toEqual(numbered(2, 4))
    expect(answer.param).toMatchObject({ recovered: true, count: 4, offset: 6 })
    await broadcast(project, room, ['m7'])
    expect(JSON.parse(await again.nextFrame())).toMatchObject({ info: 'm7', seq: { offset: 7 } })
    again.close()
  })

  it('holds at most `size` messages of a flooded room, and never replays with a hole', async () => {
    const { project, status } = daemon()
    const room = 'h-flood'
    const client = await connect(status.outside.port, room)
    const total = SIZE + 30
    await broadcast(project, room, numbered(1, total))
    let epoch = ''
    for (let i = 0; i < total; i++) epoch = (JSON.parse(await client.nextFrame()) as Sequenced).seq?.epoch ?? ''

    // The oldest kept is offset 31: from 30 the whole history, from 29 not at all.
    const fresh = await connect(status.outside.port, room)
    fresh.send({ method: '@recover', room, epoch, offset: total - SIZE })
    const whole = await untilRecovered(fresh)
    expect(whole.replayed.map((e) => e.seq?.offset)).toEqual(Array.from({ length: SIZE }, (_, i) => total - SIZE + 1 + i))
    expect(whole.answer.param).toMatchObject({ recovered: true, count: SIZE })

    const late = await connect(status.outside.port, room)
    late.send({ method: '@recover', room, epoch, offset: total - SIZE - 1 })
    const refused = await untilRecovered(late)
    expect(refused.replayed).toEqual([])
    expect(refused.answer.param).toEqual({ room, recovered: false, epoch, offset: total })
    for (const c of [client, fresh, late]) c.close()
  })

  it('answers recovered: false with the current position for another epoch or a future offset', async () => {
    const { project, status } = daemon()
    const room = 'h-epoch'
    const client = await connect(status.outside.port, room)
    await broadcast(project, room, ['one'])
    const { seq } = JSON.parse(await client.nextFrame()) as Sequenced
    for (const asked of [
      { epoch: 'not-this-one', offset: 0 },
      { epoch: seq?.epoch, offset: 7 },
    ]) {
      client.send({ method: '@recover', room, ...asked })
      const { replayed, answer } = await untilRecovered(client)
      expect(replayed).toEqual([])
      expect(answer.param).toEqual({ room, recovered: false, epoch: seq?.epoch, offset: 1 })
    }
    client.close()
  })

  it('refuses a room the connection is not in with 403, and a malformed @recover with 400', async () => {
    const { project, status } = daemon()
    const client = await connect(status.outside.port, 'h-mine')
    await broadcast(project, 'h-theirs', ['secret'])
    client.send({ method: '@recover', room: 'h-theirs', epoch: '', offset: 0 })
    expect(await untilRecovered(client)).toMatchObject({
      replayed: [],
      answer: { status: 403, param: { room: 'h-theirs', recovered: false } },
    })
    for (const bad of [{ room: 'h-mine' }, { room: 'h-mine', epoch: 'e', offset: -1 }, { room: 7, epoch: 'e', offset: 0 }]) {
      client.send({ method: '@recover', ...bad })
      expect(JSON.parse(await client.nextFrame())).toMatchObject({ status: 400, event: 'badRequest' })
    }
    // The connection is still served.
    expect(await client.ask({ method: 'index.index.echo' }, 'echo')).toMatchObject({ status: 200 })
    client.close()
  })
})

describe('room history off (the default)', () => {
  const daemon = useSharedDaemon({ setting: { ack: false } })

  it('sends the seed’s envelopes, without a seq, and leaves @recover to the application', async () => {
    const { project, status } = daemon()
    const client = await connect(status.outside.port, 'h-off')
    await broadcast(project, 'h-off', ['plain'])
    expect(JSON.parse(await client.nextFrame())).toEqual({ status: 200, event: 'tick', info: 'plain' })
    client.send({ method: '@recover', room: 'h-off', epoch: '', offset: 0 })
    const answer = JSON.parse(await client.nextFrame()) as Envelope
    expect(answer.event).not.toBe('recovered')
    client.close()
  })
})
