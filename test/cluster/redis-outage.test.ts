import { describe, expect, it } from 'vitest'
import type { DeliveryResult } from '../../src/contracts/control-api.js'
import { cliJson } from '../helpers/cli.js'
import type { Envelope, TestClient } from '../helpers/client.js'
import {
  cidOf,
  EVENT_MS,
  listedCids,
  logLinesStarting,
  nodeStatus,
  roomCounts,
  useClusterSuite,
  waitForListing,
  type RunningNode,
} from '../helpers/cluster.js'
import { poll, within } from '../helpers/poll.js'

/**
 * Redis goes away and comes back empty (memory only): the nodes serve their
 * own clients meanwhile and say they are degraded; once Redis is back they
 * subscribe again, write their entries again and say ok.
 */
const LOST = 'lost Redis'
const BACK = 'Redis is back'

const suite = useClusterSuite()

interface Health {
  status: number
  body: { status?: string; cluster?: string }
}

async function health(node: RunningNode): Promise<Health> {
  const res = await fetch(`http://127.0.0.1:${node.status.manager.port}/healthz`)
  return { status: res.status, body: (await res.json()) as Health['body'] }
}

/** Both views of a node's cluster state: status and /healthz. */
async function clusterState(node: RunningNode): Promise<{ state: string; health: number; body: Health['body'] }> {
  const [status, checked] = await Promise.all([nodeStatus(node), health(node)])
  return { state: status.cluster.state, health: checked.status, body: checked.body }
}

async function waitForState(node: RunningNode, state: 'ok' | 'degraded'): Promise<void> {
  const seen = await poll(
    () => clusterState(node),
    // Status and /healthz's store and cluster checks each see the outage on their own probe: wait until all three agree.
    (s) => s.state === state && s.health === (state === 'ok' ? 200 : 503) && s.body.status === state && s.body.cluster === state,
  )
  if (state === 'ok') expect(seen).toMatchObject({ state: 'ok', health: 200, body: { status: 'ok', cluster: 'ok' } })
  else expect(seen).toMatchObject({ state: 'degraded', health: 503, body: { status: 'degraded', cluster: 'degraded' } })
}

/** The first envelope with one of these events. */
async function firstOf(client: TestClient, events: string[]): Promise<Envelope> {
  for (;;) {
    const envelope = JSON.parse(await within(client.nextFrame(), EVENT_MS, `a frame with ${events.join(' or ')}`)) as Envelope
    if (events.includes(envelope.event)) return envelope
  }
}

async function broadcast(from: RunningNode, args: string[]): Promise<DeliveryResult> {
  const { exitCode, json, stderr } = await cliJson<DeliveryResult>(from, ['broadcast', ...args])
  expect(exitCode, stderr).toBe(0)
  return json
}

/**
 * Clients that keep talking to their workers and count what they sent and what
 * was answered, until stop(). A round is one request that a worker answers
 * after PACE_MS (load.counter.slow) and ANSWERS_PER_ROUND - 1 index.index.index
 * behind it, which wait their turn; rounds(n) waits until every client has done n more.
 */
const PACE_MS = 100
const ANSWERS_PER_ROUND = 5

class Traffic {
  sent = 0
  answered = 0
  readonly unexpected: string[] = []
  readonly #done: number[]
  #stopping = false
  #failure: Error | undefined
  #waiters: Array<{ rounds: number; wake: () => void; fail: (err: Error) => void }> = []
  readonly #running: Promise<void>

  constructor(clients: TestClient[]) {
    this.#done = clients.map(() => 0)
    this.#running = Promise.all(clients.map((client, i) => this.#loop(client, i))).then(() => undefined)
    this.#running.catch((err: Error) => {
      this.#failure = err
      for (const waiter of this.#waiters.splice(0)) waiter.fail(err)
    })
  }

  rounds(more: number): Promise<void> {
    const rounds = Math.min(...this.#done) + more
    return new Promise((wake, fail) => {
      if (this.#failure !== undefined) return fail(this.#failure)
      this.#waiters.push({ rounds, wake, fail })
    })
  }

  async stop(): Promise<void> {
    this.#stopping = true
    await this.#running
  }

  async #loop(client: TestClient, index: number): Promise<void> {
    while (!this.#stopping) {
      client.send({ method: 'load.counter.slow', ms: PACE_MS })
      for (let i = 1; i < ANSWERS_PER_ROUND; i++) client.send({ method: 'index.index.index' })
      this.sent += ANSWERS_PER_ROUND
      for (let i = 0; i < ANSWERS_PER_ROUND; i++) {
        const frame = await within(client.nextFrame(), EVENT_MS, 'an answer from the worker')
        const { event } = JSON.parse(frame) as Envelope
        if (event !== (i === 0 ? 'slowDone' : 'success')) this.unexpected.push(frame)
        this.answered++
      }
      this.#done[index] = (this.#done[index] ?? 0) + 1
      const rounds = Math.min(...this.#done)
      for (const waiter of [...this.#waiters]) {
        if (rounds < waiter.rounds) continue
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1)
        waiter.wake()
      }
    }
  }
}

/**
 * The test waits through an outage: each node notices the close, then redials
 * Redis with a backoff of up to 2 s, resubscribes and rewrites its entries,
 * all while its clients keep talking; on a loaded machine that is more than
 * the default 60 s the other tests get.
 */
const OUTAGE_TEST_MS = 120_000

describe('a cluster while Redis is away', () => {
  // Started before the test (in a hook), so its time is the outage's.
  const started = suite.fresh(2, { max_messages_per_second: 1000 })

  it('serves local traffic, reports degraded, and rejoins once Redis is back', { timeout: OUTAGE_TEST_MS }, async () => {
    const { cluster, view } = started()
    const [n1, n2] = cluster.nodes as [RunningNode, RunningNode]
    const { harness } = suite
    const redis = suite.redis()
    const a1 = await harness.connect(n1, { id: 1, code: 'wall' })
    const a2 = await harness.connect(n1, { id: 2, code: 'wall' })
    const b1 = await harness.connect(n2, { id: 3, code: 'wall' })
    const b2 = await harness.connect(n2, { id: 4, code: 'wall' })
    // Clients that only talk to their workers, all through the outage.
    const talkers = [await harness.connect(n1, { id: 5, code: 'talk' }), await harness.connect(n2, { id: 6, code: 'talk' })]
    const cids = await Promise.all([
      cidOf(n1, a1),
      cidOf(n1, a2),
      cidOf(n2, b1),
      cidOf(n2, b2),
      cidOf(n1, talkers[0] as TestClient),
      cidOf(n2, talkers[1] as TestClient),
    ])
    await waitForListing(cluster.nodes, cids)
    for (const node of cluster.nodes) await waitForState(node, 'ok')

    const traffic = new Traffic(talkers)
    await traffic.rounds(1)

    await redis.stop()
    for (const node of cluster.nodes) await waitForState(node, 'degraded')
    await traffic.rounds(2)

    // A room send reaches this node's members; the other node's miss it, as pub/sub does.
    expect(await broadcast(n1, ['--room', 'wall', '--event', 'duringOutage', 'local only'])).toEqual({ delivered: 2, nodes: 0 })
    for (const member of [a1, a2]) expect((await within(member.next('duringOutage'), EVENT_MS, 'local broadcast')).info).toBe('local only')
    // A controller's room send too.
    await within(b1.ask({ method: 'probe.probe.say', room: 'wall', text: 'node-2 only' }, 'sent'), EVENT_MS, 'say')
    expect((await within(b2.next('said'), EVENT_MS, 'local room send')).info).toBe('node-2 only')
    for (const node of cluster.nodes) expect((await nodeStatus(node)).pid).toBe(node.status.pid)

    await redis.restart()
    await traffic.rounds(1)
    for (const node of cluster.nodes) await waitForState(node, 'ok')
    await traffic.rounds(1)
    await traffic.stop()
    expect(traffic.unexpected).toEqual([])
    expect(traffic.answered).toBe(traffic.sent)

    // Entries rewritten: the new Redis holds every connection again.
    await view.reconnected()
    expect(await view.members('wall')).toEqual(cids.slice(0, 4).sort())
    expect(await view.members('@nodes')).toEqual(['node-1', 'node-2'])
    for (const node of cluster.nodes) {
      expect(await listedCids(node)).toEqual([...cids].sort())
      expect(await roomCounts(node)).toEqual({ wall: 4, talk: 2 })
    }

    // Subscribed again: a broadcast from node-1 reaches node-2's members, and nothing from the outage comes late.
    expect(await broadcast(n1, ['--room', 'wall', '--event', 'afterOutage', 'everyone again'])).toEqual({ delivered: 2, nodes: 1 })
    for (const member of [b1, b2]) expect(await firstOf(member, ['duringOutage', 'afterOutage'])).toMatchObject({ info: 'everyone again' })
    expect((await within(a1.next('afterOutage'), EVENT_MS, 'broadcast')).info).toBe('everyone again')
    // And the other way: a controller's send from node-2 reaches node-1's members (not node-2's sender).
    await within(b1.ask({ method: 'probe.probe.say', room: 'wall', text: 'across again' }, 'sent'), EVENT_MS, 'say')
    for (const member of [a1, a2, b2]) expect(await firstOf(member, ['said'])).toMatchObject({ info: 'across again' })

    // One line each way per node for the one outage.
    for (const node of cluster.nodes) {
      expect(await logLinesStarting(node, LOST), node.nodeId).toHaveLength(1)
      expect(await logLinesStarting(node, BACK), node.nodeId).toHaveLength(1)
    }
  })
})
