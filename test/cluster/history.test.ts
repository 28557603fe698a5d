import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { waitForExit } from '../../src/lifecycle/wait-exit.js'
import type { Envelope, TestClient } from '../helpers/client.js'
import {
  ClusterHarness,
  closeClient,
  CLUSTER_START_MS,
  control,
  EVENT_MS,
  FIXTURE_APP,
  nodeStatus,
  RedisView,
  type RunningCluster,
  type RunningNode,
} from '../helpers/cluster.js'
import { poll, within } from '../helpers/poll.js'
import { startRedisServer, type RedisServer } from '../helpers/redis-server.js'

/**
 * Room history on a cluster: each room's epoch, last offset and last `size`
 * messages are in Redis, shared by every node. The script that gives a message
 * its offset also publishes it, so every node delivers a room's messages in
 * offset order, and a client can @recover on any node what it missed on
 * another, even on one that died.
 */

interface Seq {
  room: string
  epoch: string
  offset: number
}

/** An envelope of a room's history, as a client gets it. */
interface Sequenced extends Envelope {
  seq?: Seq
}

interface Recovered extends Envelope {
  param: { room: string; recovered: boolean; count?: number; epoch?: string; offset?: number }
}

/** The history of the cluster the read-only tests share: small, so a test can overflow it. */
const SIZE = 20
const TTL = 300

let redis: RedisServer | undefined
beforeAll(async () => {
  redis = await startRedisServer()
})
afterAll(async () => {
  await redis?.stop()
})

let nextUid = 9000
const uid = () => nextUid++
let nextRoom = 1
/** A fresh room name per use (with a letter in it: an all-digit target is an fd). */
const room = (name: string) => `${name}-${nextRoom++}`

const range = (from: number, to: number): number[] => Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i)
const numbered = (from: number, to: number, prefix = 'm'): string[] => range(from, to).map((i) => `${prefix}${i}`)
const offsets = (envelopes: Sequenced[]): Array<number | undefined> => envelopes.map((e) => e.seq?.offset)
const infos = (envelopes: Sequenced[]): string[] => envelopes.map((e) => e.info)
const ascending = (values: Array<number | undefined>): Array<number | undefined> => [...values].sort((a, b) => (a ?? 0) - (b ?? 0))

/** The room's keys in Redis: its stream, and the hash with its epoch and last offset. */
const historyKeys = (view: RedisView, name: string) => {
  const stream = `${view.prefix}@history:{${name}}`
  return { stream, position: `${stream}:pos` }
}

async function frame(client: TestClient, what = 'a frame'): Promise<Sequenced> {
  return JSON.parse(await within(client.nextFrame(), EVENT_MS, what)) as Sequenced
}

async function frames(client: TestClient, count: number, what = 'frames'): Promise<Sequenced[]> {
  const got: Sequenced[] = []
  while (got.length < count) got.push(await frame(client, `${what} (${got.length} of ${count} so far)`))
  return got
}

/** The frames up to and including the `recovered` answer. */
async function untilRecovered(client: TestClient): Promise<{ replayed: Sequenced[]; answer: Recovered }> {
  const replayed: Sequenced[] = []
  for (;;) {
    const envelope = await frame(client, 'the recovered answer')
    if (envelope.event === 'recovered') return { replayed, answer: envelope as Recovered }
    replayed.push(envelope)
  }
}

function recover(client: TestClient, name: string, from: { epoch: string; offset: number }) {
  client.send({ method: '@recover', room: name, epoch: from.epoch, offset: from.offset })
  return untilRecovered(client)
}

/** Room sends through the node's control socket, in order: each is answered before the next is made. */
async function send(node: RunningNode, name: string, texts: string[]): Promise<void> {
  for (const info of texts) await control(node, 'broadcast', { room: name, event: 'tick', info })
}

/** The seq of an envelope that must have one. */
function seqOf(envelope: Sequenced | undefined): Seq {
  if (envelope?.seq === undefined) throw new Error(`no seq in ${JSON.stringify(envelope)}`)
  return envelope.seq
}

/**
 * A cluster with history on: started once for the describe block (its tests
 * only read from it, each in rooms of its own), or before each test (for tests
 * that kill a node). Clients are closed after each test.
 */
function useHistoryCluster(
  nodes: number,
  history: { size: number; ttl: number },
  per: 'block' | 'test',
): () => { cluster: RunningCluster; nodes: RunningNode[]; view: RedisView; harness: ClusterHarness } {
  const harness = new ClusterHarness()
  let started: { cluster: RunningCluster; view: RedisView } | undefined
  const start = async () => {
    if (redis === undefined) throw new Error('redis-server did not start')
    const cluster = await harness.start({ redisUrl: redis.url, nodes, app: { app: FIXTURE_APP, setting: { ack: false }, history } })
    const view = await RedisView.open(cluster)
    started = { cluster, view }
    // Every node has seen all the others before the first test.
    await Promise.all(
      cluster.nodes.map((node) =>
        poll(
          () => nodeStatus(node),
          (s) => s.cluster.nodes.length === nodes,
        ),
      ),
    )
  }
  const stop = async () => {
    started?.view.close()
    started = undefined
    await harness.cleanup()
  }
  if (per === 'block') {
    beforeAll(start, CLUSTER_START_MS)
    afterEach(() => harness.closeClients())
    afterAll(stop)
  } else {
    beforeEach(start, CLUSTER_START_MS)
    afterEach(stop)
  }
  return () => {
    if (started === undefined) throw new Error('the cluster did not start')
    return { ...started, nodes: started.cluster.nodes, harness }
  }
}

describe('room history on a cluster of two nodes', () => {
  const cluster = useHistoryCluster(2, { size: SIZE, ttl: TTL }, 'block')

  it('gives sends from both nodes one sequence: no offset twice, and every node delivers in offset order', async () => {
    const { nodes, harness } = cluster()
    const [n1, n2] = nodes as [RunningNode, RunningNode]
    const name = room('both')
    const onFirst = await harness.connect(n1, { id: uid(), code: name })
    const onSecond = await harness.connect(n2, { id: uid(), code: name })
    // The application's own room sends on node-2 (a controller), the operator's on node-1, at the same time.
    const sayer = await harness.connect(n2, { id: uid(), code: room('sayer') })
    const each = SIZE / 2
    await Promise.all([
      send(n1, name, numbered(1, each, 'a')),
      (async () => {
        for (const text of numbered(1, each, 'b'))
          await within(sayer.ask({ method: 'probe.probe.say', room: name, text }, 'sent'), EVENT_MS, 'say')
      })(),
    ])

    const first = await frames(onFirst, 2 * each, 'node-1 member')
    const second = await frames(onSecond, 2 * each, 'node-2 member')
    expect(offsets(first)).toEqual(range(1, 2 * each))
    // The same messages, offsets and epoch, in the same order, on both nodes.
    expect(second.map((e) => [e.info, e.seq])).toEqual(first.map((e) => [e.info, e.seq]))
    expect(new Set(first.map((e) => e.seq?.epoch)).size).toBe(1)
    // Each sender's messages in the order it sent them.
    expect(infos(first).filter((info) => info.startsWith('a'))).toEqual(numbered(1, each, 'a'))
    expect(infos(first).filter((info) => info.startsWith('b'))).toEqual(numbered(1, each, 'b'))
    // And in the order the stream keeps them.
    const kept = await cluster().view.client.xrange(historyKeys(cluster().view, name).stream, '-', '+')
    expect(kept.map(([id]) => id)).toEqual(range(1, 2 * each).map((offset) => `${offset}-0`))
  })

  it('recovers on a node that did not send the messages, and counts what it replays', async () => {
    const { nodes, harness } = cluster()
    const [n1, n2] = nodes as [RunningNode, RunningNode]
    const name = room('shared')
    const before = await harness.connect(n1, { id: uid(), code: name })
    await send(n1, name, ['m1'])
    const last = seqOf(await frame(before))
    await closeClient(before)
    await send(n1, name, numbered(2, 9))

    const after = await harness.connect(n2, { id: uid(), code: name })
    const { replayed, answer } = await recover(after, name, last)
    expect(infos(replayed)).toEqual(numbered(2, 9))
    expect(replayed.map((e) => e.seq)).toEqual(range(2, 9).map((offset) => ({ room: name, epoch: last.epoch, offset })))
    expect(answer).toMatchObject({ status: 200, event: 'recovered' })
    expect(answer.param).toEqual({ room: name, recovered: true, count: replayed.length, epoch: last.epoch, offset: 9 })

    // Live messages go on from there, from either node.
    await send(n2, name, ['m10'])
    await send(n1, name, ['m11'])
    expect((await frames(after, 2)).map((e) => [e.info, e.seq?.offset])).toEqual([
      ['m10', 10],
      ['m11', 11],
    ])
  })

  it('replays what came before a live message that reached the new connection ahead of its @recover, and nothing twice', async () => {
    const { nodes, harness } = cluster()
    const [n1, n2] = nodes as [RunningNode, RunningNode]
    const name = room('early')
    const before = await harness.connect(n1, { id: uid(), code: name })
    await send(n1, name, ['m1'])
    const last = seqOf(await frame(before))
    await closeClient(before)
    await send(n1, name, numbered(2, 5))

    // The new connection is in the room from its open: a live send can reach it before the client asks.
    const after = await harness.connect(n2, { id: uid(), code: name })
    await send(n1, name, ['m6'])
    expect(await frame(after)).toMatchObject({ info: 'm6', seq: { offset: 6 } })
    const { replayed, answer } = await recover(after, name, last)
    expect(infos(replayed)).toEqual(numbered(2, 5))
    expect(offsets(replayed)).toEqual(range(2, 5))
    expect(answer.param).toEqual({ room: name, recovered: true, count: 4, epoch: last.epoch, offset: 6 })

    // Asked again, it has sent all of it already.
    const again = await recover(after, name, last)
    expect(again.replayed).toEqual([])
    expect(again.answer.param).toMatchObject({ recovered: true, count: 0, offset: 6 })
    await send(n2, name, ['m7'])
    expect(await frame(after)).toMatchObject({ info: 'm7', seq: { offset: 7 } })
  })

  it('starts a new epoch at offset 1 once the room’s history is gone, and never replays across epochs', async () => {
    const { nodes, harness, view } = cluster()
    const [n1, n2] = nodes as [RunningNode, RunningNode]
    // Both keys gone (flushed), or only the position: the stream left behind must not come back under the new epoch.
    for (const lost of ['both', 'position'] as const) {
      const name = room(`epoch-${lost}`)
      const keys = historyKeys(view, name)
      const members = [await harness.connect(n1, { id: uid(), code: name }), await harness.connect(n2, { id: uid(), code: name })]
      await send(n1, name, numbered(1, 3, 'old'))
      const before = await Promise.all(members.map((member) => frames(member, 3)))
      for (const got of before) expect(offsets(got)).toEqual([1, 2, 3])
      const old = seqOf(before[0]?.[2])
      expect(await view.client.exists(keys.stream, keys.position)).toBe(2)
      await view.client.del(...(lost === 'both' ? [keys.stream, keys.position] : [keys.position]))

      await send(n2, name, ['new1'])
      const renewed = await Promise.all(members.map((member) => frame(member)))
      const { epoch } = seqOf(renewed[0])
      expect(epoch).not.toBe(old.epoch)
      for (const envelope of renewed) expect(envelope).toMatchObject({ info: 'new1', seq: { room: name, epoch, offset: 1 } })

      // The old epoch, from its start or from its last offset, on either node: nothing replayed, and the new position.
      for (const member of members) {
        for (const offset of [0, old.offset]) {
          const { replayed, answer } = await recover(member, name, { epoch: old.epoch, offset })
          expect(replayed).toEqual([])
          expect(answer.param).toEqual({ room: name, recovered: false, epoch, offset: 1 })
        }
      }
      // The new epoch holds its own message only.
      const newcomer = await harness.connect(n1, { id: uid(), code: name })
      const fromStart = await recover(newcomer, name, { epoch, offset: 0 })
      expect(fromStart.replayed.map((e) => [e.info, e.seq])).toEqual([['new1', { room: name, epoch, offset: 1 }]])
      expect(fromStart.answer.param).toEqual({ room: name, recovered: true, count: 1, epoch, offset: 1 })
      expect((await view.client.xrange(keys.stream, '-', '+')).map(([id]) => id)).toEqual(['1-0'])
    }
  })

  it('keeps `size` messages of a room in its stream: from before the oldest kept nothing is replayed, from just before it all of them', async () => {
    const { nodes, harness, view } = cluster()
    const [n1, n2] = nodes as [RunningNode, RunningNode]
    const name = room('bounded')
    const over = 7
    const total = SIZE + over
    const member = await harness.connect(n1, { id: uid(), code: name })
    await send(n2, name, numbered(1, total))
    const got = await frames(member, total)
    expect(offsets(got)).toEqual(range(1, total))
    const { epoch } = seqOf(got[0])

    const { stream } = historyKeys(view, name)
    expect(await view.client.xlen(stream)).toBe(SIZE)
    expect((await view.client.xrange(stream, '-', '+')).map(([id]) => id)).toEqual(range(over + 1, total).map((o) => `${o}-0`))

    // The oldest kept is offset over + 1: from `over` the whole history, on either node; from over - 1 not at all.
    for (const node of [n1, n2]) {
      const late = await harness.connect(node, { id: uid(), code: name })
      const refused = await recover(late, name, { epoch, offset: over - 1 })
      expect(refused.replayed).toEqual([])
      expect(refused.answer.param).toEqual({ room: name, recovered: false, epoch, offset: total })

      const whole = await harness.connect(node, { id: uid(), code: name })
      const { replayed, answer } = await recover(whole, name, { epoch, offset: over })
      expect(offsets(replayed)).toEqual(range(over + 1, total))
      expect(infos(replayed)).toEqual(numbered(over + 1, total))
      expect(answer.param).toEqual({ room: name, recovered: true, count: SIZE, epoch, offset: total })
    }
  })
})

/** SIGKILL to the node's daemon (its pid from status), then its clients see their sockets drop. */
async function killNode(node: RunningNode, clients: TestClient[]): Promise<void> {
  const { pid } = await nodeStatus(node)
  process.kill(pid, 'SIGKILL')
  // Not our child: no exit event to await, so wait for the kernel to reap it.
  expect(await waitForExit(pid, EVENT_MS)).toBe(true)
  for (const client of clients) await within(client.closed(), EVENT_MS, `a client of ${node.nodeId} closing`)
}

/**
 * Room sends through a node's control socket, one after another until
 * stopped, numbered m1, m2, …: those whose call resolved were accepted.
 * At most `cap`, so the history always holds every one of them.
 */
class Sender {
  readonly accepted: string[] = []
  readonly failed: string[] = []
  readonly done: Promise<void>
  #stopped = false

  constructor(node: RunningNode, name: string, cap: number) {
    this.done = this.#run(node, name, cap)
  }

  stop(): Promise<void> {
    this.#stopped = true
    return this.done
  }

  async #run(node: RunningNode, name: string, cap: number): Promise<void> {
    for (let i = 1; i <= cap && !this.#stopped; i++) {
      const info = `m${i}`
      try {
        await control(node, 'broadcast', { room: name, event: 'tick', info })
        this.accepted.push(info)
      } catch (err) {
        this.failed.push(`${info}: ${(err as Error).message}`)
      }
    }
  }
}

describe('room history when a node is killed with SIGKILL', () => {
  const CAP = 20_000
  const cluster = useHistoryCluster(2, { size: CAP, ttl: TTL }, 'test')

  it('lets a client of the dead node recover on the other every message accepted, once each and in order, while sends go on', async () => {
    const { nodes, harness } = cluster()
    const [dying, surviving] = nodes as [RunningNode, RunningNode]
    const name = room('kill')
    const before = await harness.connect(dying, { id: uid(), code: name })
    const sender = new Sender(surviving, name, CAP)
    try {
      // Messages flow to the doomed node's client, then its daemon dies mid-stream.
      const seenBefore = await frames(before, 20, 'before the kill')
      await killNode(dying, [before])
      const onDead = [...seenBefore, ...before.frames.splice(0).map((text) => JSON.parse(text) as Sequenced)]
      const last = seqOf(onDead.at(-1))

      // The client comes back on the other node and asks for what followed its last message; sends go on meanwhile.
      const after = await harness.connect(surviving, { id: uid(), code: name })
      const { replayed, answer } = await recover(after, name, last)
      const live = await frames(after, 20, 'live after the recovery')
      await sender.stop()
      // One more after the last accepted: everything before it has arrived, and nothing after the last came twice.
      await send(surviving, name, ['end'])
      while (live.at(-1)?.info !== 'end') live.push(await frame(after, 'the message after the last accepted'))
      const end = live.pop()

      expect(sender.failed).toEqual([])
      const total = sender.accepted.length
      expect(sender.accepted).toEqual(numbered(1, total))
      expect(end?.seq).toEqual({ room: name, epoch: last.epoch, offset: total + 1 })
      // On the dead node: from the first, in order, until its socket dropped.
      expect(offsets(onDead)).toEqual(range(1, onDead.length))
      expect(answer).toMatchObject({ status: 200, event: 'recovered', param: { room: name, recovered: true, epoch: last.epoch } })
      const { count, offset: recoveredTo } = answer.param as { count: number; offset: number }
      // Before the answer: each message after the client's last through the answer's offset, once. A live message
      // can reach the new connection before its @recover does; such ones come first, the replay after them, in order.
      const early = replayed.slice(0, replayed.length - count)
      expect(ascending(offsets(replayed))).toEqual(range(last.offset + 1, recoveredTo))
      expect(offsets(early)).toEqual(ascending(offsets(early)))
      expect(offsets(replayed.slice(early.length))).toEqual(ascending(offsets(replayed.slice(early.length))))
      // After it: the live ones, from the next offset, in order, to the last accepted.
      expect(offsets(live)).toEqual(range(recoveredTo + 1, total))

      // Across both connections: every accepted message exactly once, with its own offset, in one epoch.
      const all = [...onDead, ...replayed, ...live]
      expect(ascending(offsets(all))).toEqual(range(1, total))
      for (const envelope of all)
        expect(envelope).toMatchObject({ event: 'tick', info: `m${envelope.seq?.offset}`, seq: { room: name, epoch: last.epoch } })
    } finally {
      await sender.stop()
    }
  })
})
