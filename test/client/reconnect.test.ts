import { createServer } from 'node:net'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { MswClient, type ClientOptions, type CloseInfo, type Envelope, type Recovered } from 'mswoole/client'
import type { ConnectionsListResult } from '../../src/contracts/control-api.js'
import { withDaemon } from '../../src/ipc/client.js'
import { cli, cliJson, useSharedDaemon } from '../helpers/cli.js'
import { mintToken, TestClient } from '../helpers/client.js'
import { poll } from '../helpers/poll.js'
import type { Project } from '../helpers/project.js'

/**
 * The client wrapper (client/mswoole-client.js) in Node, with the ws package,
 * against a daemon with room history: its socket is kicked with `mswoole
 * kick`, the room goes on without it, and after the reconnect the app has
 * every message once and in order, or is told it must fetch the state again.
 */

const SIZE = 50
const daemon = useSharedDaemon({ setting: { ack: false }, history: { size: SIZE, ttl: 300 } })
const WAIT_MS = 15_000

/** An address nobody listens on: while a client is "away", its reconnects go there and fail. */
let nowhere = ''
beforeAll(async () => {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise<void>((resolve) => server.close(() => resolve()))
  nowhere = `ws://127.0.0.1:${port}/`
})

/** A wrapper client and everything it told its app. */
class Watched {
  readonly messages: Envelope[] = []
  readonly recoveries: Recovered[] = []
  readonly closes: CloseInfo[] = []
  readonly opens: boolean[] = []
  /** While true, reconnects fail: the test decides when the client is back. */
  away = false
  readonly client: MswClient

  constructor(url: string, options: ClientOptions = {}) {
    this.client = new MswClient(() => (this.away ? nowhere : url), { WebSocket, minDelay: 20, maxDelay: 250, ...options })
    this.client.on('message', (e) => this.messages.push(e))
    this.client.on('recovered', (r) => this.recoveries.push(r))
    this.client.on('close', (c) => this.closes.push(c))
    this.client.on('open', (o) => this.opens.push(o.reconnect))
    watched.push(this)
  }

  infos(event: string): string[] {
    return this.messages.filter((e) => e.event === event).map((e) => e.info)
  }

  params(event: string): unknown[] {
    return this.messages.filter((e) => e.event === event).map((e) => e.param)
  }

  async until(check: () => boolean, what: string): Promise<void> {
    expect(
      await poll(
        async () => check(),
        (ok) => ok,
        WAIT_MS,
      ),
      what,
    ).toBe(true)
  }
}

const watched: Watched[] = []
afterEach(() => {
  for (const w of watched.splice(0)) w.client.close()
})

let nextId = 1
async function url(port: number, code: string, type = 'wechatUser', nickname = `User ${nextId}`): Promise<string> {
  return `ws://127.0.0.1:${port}/?auth=${encodeURIComponent(await mintToken({ id: nextId++, type, code, nickname }))}`
}

async function broadcast(project: Project, room: string, infos: string[]): Promise<void> {
  await withDaemon(project.socket, async (c) => {
    for (const info of infos) await c.call('broadcast', { room, event: 'tick', info })
  })
}

/** `mswoole kick` of the one connection of `code` with token id `id` (any, when left out). */
async function kick(project: Project, code: string, id?: number): Promise<void> {
  const { json } = await cliJson<ConnectionsListResult>(project, ['conn', 'ls'])
  const found = json.connections.filter((c) => c.code === code && (id === undefined || c.id === id))
  expect(found, `connections of ${code}`).toHaveLength(1)
  const kicked = await cli(project, ['kick', String(found[0]!.fd)])
  expect(kicked.exitCode, kicked.stderr).toBe(0)
}

const numbered = (from: number, count: number) => Array.from({ length: count }, (_, i) => `m${from + i}`)

describe('the client wrapper against a daemon with room history', () => {
  it('gets what was sent while it was away after the reconnect, each message once and in order, then the live ones', async () => {
    const { project, status } = daemon()
    const room = 'c-away'
    const phone = new Watched(await url(status.outside.port, room))
    await phone.until(() => phone.opens.length === 1, 'connected')
    await broadcast(project, room, ['before'])
    await phone.until(() => phone.infos('tick').length === 1, 'the first message')

    phone.away = true
    await kick(project, room)
    await phone.until(() => phone.closes.length >= 1, 'the kick seen')
    expect(phone.closes[0]).toMatchObject({ code: 4000 })
    await broadcast(project, room, numbered(1, 20))
    // A reconnect or two fail meanwhile.
    await phone.until(() => phone.closes.length >= 3, 'failed reconnects')
    phone.away = false

    await phone.until(() => phone.recoveries.length === 1, 'the recovery')
    const epoch = phone.messages[0]!.seq!.epoch
    expect(phone.recoveries[0]).toEqual({ room, recovered: true, count: 20, epoch, offset: 21, status: 200, info: 'recovered 20 messages' })
    expect(phone.opens).toEqual([false, true])
    await broadcast(project, room, ['after'])
    await phone.until(() => phone.infos('tick').includes('after'), 'the live message after')
    expect(phone.infos('tick')).toEqual(['before', ...numbered(1, 20), 'after'])
    expect(phone.messages.map((e) => e.seq?.offset)).toEqual(Array.from({ length: 22 }, (_, i) => i + 1))
    expect(phone.client.positions()).toEqual({ [room]: { epoch, offset: 22 } })
  })

  it('puts a live message that reached the new connection before its @recover after the replay of what came before it', async () => {
    const { project, status } = daemon()
    const room = 'c-raced'
    let race = false
    const phone = new Watched(await url(status.outside.port, room), {
      // The room's next message is sent (and written to the new connection) before the client asks to recover.
      join: async () => {
        if (race) await broadcast(project, room, ['raced'])
      },
    })
    await phone.until(() => phone.opens.length === 1, 'connected')
    await broadcast(project, room, ['before'])
    await phone.until(() => phone.infos('tick').length === 1, 'the first message')

    phone.away = true
    await kick(project, room)
    await phone.until(() => phone.closes.length >= 1, 'the kick seen')
    await broadcast(project, room, numbered(1, 5))
    race = true
    phone.away = false

    await phone.until(() => phone.recoveries.length === 1, 'the recovery')
    expect(phone.recoveries[0]).toMatchObject({ room, recovered: true, count: 5, offset: 7 })
    expect(phone.infos('tick')).toEqual(['before', ...numbered(1, 5), 'raced'])
    expect(phone.messages.map((e) => e.seq?.offset)).toEqual([1, 2, 3, 4, 5, 6, 7])
  })

  it('says recovered: false with the current position when the history no longer holds what it missed, and goes on from there', async () => {
    const { project, status } = daemon()
    const room = 'c-too-late'
    const phone = new Watched(await url(status.outside.port, room))
    await phone.until(() => phone.opens.length === 1, 'connected')
    await broadcast(project, room, ['before'])
    await phone.until(() => phone.infos('tick').length === 1, 'the first message')

    phone.away = true
    await kick(project, room)
    await phone.until(() => phone.closes.length >= 1, 'the kick seen')
    // More than the history keeps: what followed "before" is gone.
    await broadcast(project, room, numbered(1, SIZE + 5))
    phone.away = false

    await phone.until(() => phone.recoveries.length === 1, 'the recovery')
    const epoch = phone.messages[0]!.seq!.epoch
    expect(phone.recoveries[0]).toMatchObject({ room, recovered: false, epoch, offset: SIZE + 6, status: 200 })
    expect(phone.recoveries[0]!.count).toBeUndefined()
    await broadcast(project, room, ['after'])
    await phone.until(() => phone.infos('tick').includes('after'), 'the live message after')
    // Nothing replayed: the app knows to fetch its state again.
    expect(phone.infos('tick')).toEqual(['before', 'after'])
    expect(phone.client.positions()).toEqual({ [room]: { epoch, offset: SIZE + 7 } })
  })

  it('rejoins a Live event before recovering it: the phone gets what the wall showed while it was away, once, and sends what it queued', async () => {
    const { project, status } = daemon()
    const code = 'c-live'
    const room = `live:user:${code}`
    const phoneId = nextId
    const phone = new Watched(await url(status.outside.port, code, 'wechatUser', 'Ann'), {
      join: async ({ send, next }) => {
        send({ method: 'live.user.join' })
        await next('userJoinSuccess')
      },
    })
    const wall = await TestClient.connect(await url(status.outside.port, code, 'wall', 'Screen'))
    await wall.ask({ method: 'live.wall.join' }, 'wallJoinSuccess')
    const other = await TestClient.connect(await url(status.outside.port, code, 'wechatUser', 'Bob'))
    await other.ask({ method: 'live.user.join' }, 'userJoinSuccess')
    await phone.until(() => phone.opens.length === 1, 'joined')

    const announce = async (say: string) => (await wall.ask({ method: 'live.wall.say', say }, 'wallSaySuccess')).param as { id: string }
    const approve = async (client: TestClient, say: string) => {
      const id = (await client.ask({ method: 'live.user.say', say }, 'userSaySuccess')).param as string
      await wall.next('userSayNeedCheck')
      await wall.ask({ method: 'live.wall.check', id, status: 1 }, 'wallCheckSuccess')
      return id
    }
    await announce('Welcome')
    await phone.until(() => phone.params('wallSayBroadcast').length === 1, 'the first announcement')

    phone.away = true
    await kick(project, code, phoneId)
    await phone.until(() => phone.closes.length >= 1, 'the kick seen')
    // Queued while away; sent after the rejoin and the recovery.
    expect(phone.client.send({ method: 'live.user.say', say: 'written offline' })).toBe(true)
    const away = [await announce('Doors close at 9'), { id: await approve(other, 'Hi from Bob') }, await announce('Last call')]
    phone.away = false

    await phone.until(() => phone.recoveries.length === 1, 'the recovery')
    expect(phone.recoveries[0]).toMatchObject({ room, recovered: true, count: 3 })
    const shown = () =>
      phone.messages
        .filter((e) => e.event === 'wallSayBroadcast' || e.event === 'userSayBroadcast')
        .map((e) => (e.param as { say: string }).say)
    expect(shown()).toEqual(['Welcome', 'Doors close at 9', 'Hi from Bob', 'Last call'])
    expect(phone.messages.filter((e) => e.seq?.room === room).map((e) => (e.param as { id: string }).id)).toEqual([
      expect.any(String),
      ...away.map((m) => m.id),
    ])

    // The message written while away reached the wall after the phone joined again; approved, the phone gets it once.
    const pending = (await wall.next('userSayNeedCheck')).param as { id: string; say: string }
    expect(pending.say).toBe('written offline')
    await wall.ask({ method: 'live.wall.check', id: pending.id, status: 1 }, 'wallCheckSuccess')
    await phone.until(() => shown().length === 5, 'the approved message written offline')
    expect(shown()).toEqual(['Welcome', 'Doors close at 9', 'Hi from Bob', 'Last call', 'written offline'])
    expect(phone.messages.filter((e) => e.status !== 200)).toEqual([])
    wall.close()
    other.close()
  })
})
