import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { DeliveryResult, KickResult } from '../../src/contracts/control-api.js'
import { cli, cliJson } from '../helpers/cli.js'
import type { Envelope, TestClient } from '../helpers/client.js'
import {
  cidOf,
  cliListConnections,
  ClusterHarness,
  closeClient,
  CLUSTER_START_MS,
  control,
  EVENT_MS,
  FIXTURE_APP,
  fdOf,
  listConnections,
  listedCids,
  nodeStatus,
  roomCounts,
  waitForListing,
  type RunningCluster,
  type RunningNode,
} from '../helpers/cluster.js'
import { poll, within } from '../helpers/poll.js'
import { startRedisServer, type RedisServer } from '../helpers/redis-server.js'

/**
 * Sends across the nodes of a cluster on one Redis: each node delivers to its
 * own members and publishes once for the others, so every member of every node
 * gets a message exactly once, and the control API sees the whole cluster.
 */
const APP = { app: FIXTURE_APP, setting: { ack: false } }

let redis: RedisServer | undefined
beforeAll(async () => {
  redis = await startRedisServer()
})
afterAll(async () => {
  await redis?.stop()
})

let nextUid = 1000
const uid = () => nextUid++
let nextRoom = 1
/** A fresh room name per use (with a letter in it: an all-digit target is an fd). */
const room = (name: string) => `${name}-${nextRoom++}`

/** The first envelope with one of these events: what a client got before a later marker, or the marker itself. */
async function firstOf(client: TestClient, events: string[]): Promise<Envelope> {
  for (;;) {
    const envelope = JSON.parse(await within(client.nextFrame(), EVENT_MS, `a frame with ${events.join(' or ')}`)) as Envelope
    if (events.includes(envelope.event)) return envelope
  }
}

let nextMarker = 1

/**
 * After a send of `event` from `from`: each of `got` has it exactly once (the
 * next such frame is the marker that `from` broadcasts to everyone after it),
 * each of `missed` has not had it at all. One node publishes both in order, so
 * every node delivers them in order.
 */
async function expectDelivery(from: RunningNode, event: string, info: string, got: TestClient[], missed: TestClient[]): Promise<void> {
  const marker = `marker ${nextMarker++}`
  // Through the control socket: the marker is the test's own, not what it is about.
  await control(from, 'broadcast', { all: true, event: 'marker', info: marker })
  for (const client of got) {
    expect(await firstOf(client, [event, 'marker'])).toMatchObject({ event, info })
    expect(await firstOf(client, [event, 'marker'])).toMatchObject({ event: 'marker', info: marker })
  }
  for (const client of missed) expect(await firstOf(client, [event, 'marker'])).toMatchObject({ event: 'marker', info: marker })
}

async function broadcast(from: RunningNode, args: string[]): Promise<DeliveryResult> {
  const { exitCode, json, stderr } = await cliJson<DeliveryResult>(from, ['broadcast', ...args])
  expect(exitCode, stderr).toBe(0)
  return json
}

/** Clients of several nodes and their connection ids, listed by every node before the test goes on. */
async function settle(cluster: RunningCluster, clients: Array<[RunningNode, TestClient]>): Promise<string[]> {
  const cids = await Promise.all(clients.map(([node, client]) => cidOf(node, client)))
  await waitForListing(cluster.nodes, cids)
  return cids
}

/** What a harness needs around each describe: a cluster for the block, clients closed and gone after each test. */
function useCluster(nodes: number): { harness: ClusterHarness; cluster: () => RunningCluster } {
  const harness = new ClusterHarness()
  let cluster: RunningCluster | undefined
  beforeAll(async () => {
    if (redis === undefined) throw new Error('redis-server did not start')
    const started = await harness.start({ redisUrl: redis.url, nodes, app: APP })
    // Every node has had a heartbeat that saw all the others before the first test.
    await Promise.all(
      started.nodes.map((node) =>
        poll(
          () => nodeStatus(node),
          (s) => s.cluster.nodes.length === nodes,
        ),
      ),
    )
    cluster = started
  }, CLUSTER_START_MS)
  afterEach(async () => {
    await harness.closeClients()
    // The next test starts from an empty cluster: every node has let go of this test's clients.
    if (cluster !== undefined) await waitForListing(cluster.nodes, [])
  })
  afterAll(async () => {
    await harness.cleanup()
  })
  return {
    harness,
    cluster: () => {
      if (cluster === undefined) throw new Error('the cluster did not start')
      return cluster
    },
  }
}

describe('a cluster of two nodes', () => {
  const { harness, cluster } = useCluster(2)
  const nodes = () => cluster().nodes as [RunningNode, RunningNode]

  it('lists both nodes in status', async () => {
    for (const node of nodes()) {
      // Every node's summary, written at its heartbeat: each lists the other once it has read it.
      const status = await poll(
        () => nodeStatus(node),
        // A node's first summary is written as it joins, before its workers (generation 0).
        (s) => s.cluster.nodes.length === 2 && s.cluster.members.length === 2 && s.cluster.members.every((m) => m.generation === 1),
      )
      expect(status.nodeId).toBe(node.nodeId)
      expect(status.cluster).toMatchObject({ store: 'redis', state: 'ok', nodes: ['node-1', 'node-2'] })
      expect(status.cluster.members.map((m) => m.node)).toEqual(['node-1', 'node-2'])
      for (const member of status.cluster.members) {
        expect(member).toEqual({
          node: member.node,
          version: status.version,
          startedAt: expect.any(String),
          generation: 1,
          connections: expect.any(Number),
        })
      }
      const own = status.cluster.members.find((m) => m.node === node.nodeId)
      expect(own?.startedAt).toBe(status.startedAt)
    }
  })

  it('delivers a room broadcast from either node exactly once to the members on both nodes, and to nobody else', async () => {
    const [n1, n2] = nodes()
    const wall = room('wall')
    const other = room('other')
    const a1 = await harness.connect(n1, { id: uid(), code: wall })
    const a2 = await harness.connect(n1, { id: uid(), code: other })
    const b1 = await harness.connect(n2, { id: uid(), code: wall })
    const b2 = await harness.connect(n2, { id: uid(), code: wall })
    const b3 = await harness.connect(n2, { id: uid(), code: other })

    expect(await broadcast(n1, ['--room', wall, '--event', 'roomcast', 'from node-1'])).toEqual({ delivered: 1, nodes: 1 })
    await expectDelivery(n1, 'roomcast', 'from node-1', [a1, b1, b2], [a2, b3])

    expect(await broadcast(n2, ['--room', wall, '--event', 'roomcast', 'from node-2'])).toEqual({ delivered: 2, nodes: 1 })
    await expectDelivery(n2, 'roomcast', 'from node-2', [a1, b1, b2], [a2, b3])
  })

  it('reaches every connection of both nodes once with --all', async () => {
    const [n1, n2] = nodes()
    const clients = [
      await harness.connect(n1, { id: uid(), code: room('x') }),
      await harness.connect(n2, { id: uid(), code: room('y') }),
      await harness.connect(n2, { id: uid(), code: room('z') }),
    ]
    expect(await broadcast(n2, ['--all', '--event', 'everyone', 'to all'])).toEqual({ delivered: 2, nodes: 1 })
    await expectDelivery(n2, 'everyone', 'to all', clients, [])
  })

  it('skips a connection of the other node named by its id with --except, and a local one by its fd', async () => {
    const [n1, n2] = nodes()
    const wall = room('wall')
    const a1 = await harness.connect(n1, { id: uid(), code: wall })
    const a2 = await harness.connect(n1, { id: uid(), code: wall })
    const b1 = await harness.connect(n2, { id: uid(), code: wall })
    const b2 = await harness.connect(n2, { id: uid(), code: wall })
    const [, , b1Cid] = await settle(cluster(), [
      [n1, a1],
      [n1, a2],
      [n2, b1],
      [n2, b2],
    ])

    const except = `${await fdOf(a1)},${b1Cid as string}`
    expect(await broadcast(n1, ['--room', wall, '--except', except, '--event', 'notAll', 'not for a1 and b1'])).toEqual({
      delivered: 1,
      nodes: 1,
    })
    await expectDelivery(n1, 'notAll', 'not for a1 and b1', [a2, b2], [a1, b1])

    // --all honours a remote id too.
    expect(await broadcast(n1, ['--all', '--except', b1Cid as string, '--event', 'allBut', 'all but b1'])).toEqual({
      delivered: 2,
      nodes: 1,
    })
    await expectDelivery(n1, 'allBut', 'all but b1', [a1, a2, b2], [b1])
  })

  it("carries a controller's room send to the members on the other node, without the sender", async () => {
    const [n1, n2] = nodes()
    const talk = room('talk')
    const a1 = await harness.connect(n1, { id: uid(), code: room('code') })
    const a2 = await harness.connect(n1, { id: uid(), code: room('code') })
    const b1 = await harness.connect(n2, { id: uid(), code: room('code') })
    const b2 = await harness.connect(n2, { id: uid(), code: room('code') })
    // app.count is the room's size across the cluster.
    const join = async (client: TestClient) =>
      (await within(client.ask({ method: 'probe.probe.join', room: talk }, 'joined'), EVENT_MS, 'join')).param
    expect(await join(a1)).toEqual({ count: 1 })
    expect(await join(b1)).toEqual({ count: 2 })
    expect(await join(b2)).toEqual({ count: 3 })

    await within(a1.ask({ method: 'probe.probe.say', room: talk, text: 'hi from node-1' }, 'sent'), EVENT_MS, 'say')
    await expectDelivery(n1, 'said', 'hi from node-1', [b1, b2], [a1, a2])

    await within(b1.ask({ method: 'probe.probe.say', room: talk, text: 'hi from node-2' }, 'sent'), EVENT_MS, 'say')
    await expectDelivery(n2, 'said', 'hi from node-2', [a1, b2], [b1, a2])
  })

  it('pushes to a uid bound on both nodes, and to a connection of the other node by its id', async () => {
    const [n1, n2] = nodes()
    const shared = uid()
    const a1 = await harness.connect(n1, { id: shared, code: room('p') })
    const a2 = await harness.connect(n1, { id: uid(), code: room('p') })
    const b1 = await harness.connect(n2, { id: shared, code: room('p') })
    const b2 = await harness.connect(n2, { id: uid(), code: room('p') })
    const [, , , b2Cid] = await settle(cluster(), [
      [n1, a1],
      [n1, a2],
      [n2, b1],
      [n2, b2],
    ])
    // The token's id is the connection's uid on every node.
    expect(await listedCids(n1, { uid: shared })).toEqual([await cidOf(n1, a1), await cidOf(n2, b1)].sort())

    const byUid = await cliJson<DeliveryResult>(n1, ['push', '--uid', String(shared), '--event', 'forUser', 'to both tabs'])
    expect(byUid.exitCode, byUid.stderr).toBe(0)
    expect(byUid.json).toEqual({ delivered: 1, nodes: 1 })
    await expectDelivery(n1, 'forUser', 'to both tabs', [a1, b1], [a2, b2])

    // A uid a controller bound (app.bindUid) on each node.
    const fan = `fan-${uid()}`
    for (const client of [a2, b2]) await within(client.ask({ method: 'probe.probe.bind', uid: fan }, 'bound'), EVENT_MS, 'bind')
    const byBound = await cliJson<DeliveryResult>(n2, ['push', '--uid', fan, '--event', 'forFans', 'to the fans'])
    expect(byBound.exitCode, byBound.stderr).toBe(0)
    expect(byBound.json).toEqual({ delivered: 1, nodes: 1 })
    await expectDelivery(n2, 'forFans', 'to the fans', [a2, b2], [a1, b1])

    const byCid = await cliJson<DeliveryResult>(n1, ['push', '--fd', b2Cid as string, '--event', 'forOne', 'to b2 only'])
    expect(byCid.exitCode, byCid.stderr).toBe(0)
    expect(byCid.json).toEqual({ delivered: 0, nodes: 1 })
    await expectDelivery(n1, 'forOne', 'to b2 only', [b2], [a1, a2, b1])

    const missing = await cli(n1, ['push', '--fd', 'node-2:9999', 'nobody'])
    expect(missing.exitCode).toBe(1)
    expect(missing.stderr).toContain('MSW_ERR_CONN_NOT_FOUND')
  })

  it('kicks a connection of the other node by its id: the client sees the code and reason, and every node forgets it', async () => {
    const [n1, n2] = nodes()
    const a1 = await harness.connect(n1, { id: uid(), code: room('k') })
    const b1 = await harness.connect(n2, { id: uid(), code: room('k') })
    const [a1Cid, b1Cid] = await settle(cluster(), [
      [n1, a1],
      [n2, b1],
    ])
    const fd = Number((b1Cid as string).split(':')[1])

    const { exitCode, json, stderr } = await cliJson<KickResult>(n1, ['kick', b1Cid as string, '--code', '4100', '--reason', 'moderated'])
    expect(exitCode, stderr).toBe(0)
    expect(json).toEqual({ fd, node: 'node-2', cid: b1Cid, code: 4100, reason: 'moderated' })
    expect(await within(b1.closed(), EVENT_MS, 'kicked client close')).toEqual({ code: 4100, reason: 'moderated' })
    await waitForListing(nodes(), [a1Cid as string])
    expect(a1.ws.readyState).toBe(a1.ws.OPEN)

    // The same id again, an fd the node never gave out, a node that is not in the cluster.
    for (const target of [b1Cid as string, 'node-2:9999', 'node-9:1']) {
      const again = await cliJson<{ error: { code: string } }>(n1, ['kick', target])
      expect(again.exitCode, target).toBe(1)
      expect(again.json.error.code).toBe('MSW_ERR_CONN_NOT_FOUND')
      expect(again.stderr).toContain('MSW_ERR_CONN_NOT_FOUND')
    }
  })

  it('lists every connection of both nodes from either node, and rooms with counts summed; both drop as clients leave', async () => {
    const [n1, n2] = nodes()
    const wall = room('wall')
    const side = room('side')
    const ids = [uid(), uid(), uid(), uid()]
    const a1 = await harness.connect(n1, { id: ids[0] as number, code: wall })
    const a2 = await harness.connect(n1, { id: ids[1] as number, code: side })
    const b1 = await harness.connect(n2, { id: ids[2] as number, code: wall })
    const b2 = await harness.connect(n2, { id: ids[3] as number, code: wall, type: 'wall' })
    const cids = await settle(cluster(), [
      [n1, a1],
      [n1, a2],
      [n2, b1],
      [n2, b2],
    ])

    for (const node of nodes()) {
      // What an operator runs on either node; the filters below ask the same daemon through its control socket.
      const listed = await cliListConnections(node)
      expect(listed.total).toBe(4)
      // By node, then fd.
      expect(listed.connections.map((c) => c.cid)).toEqual(cids)
      for (const [i, info] of listed.connections.entries()) {
        expect(info.cid).toBe(`${info.node}:${info.fd}`)
        expect(String(info.id)).toBe(String(ids[i]))
        expect(info.node).toBe(i < 2 ? 'node-1' : 'node-2')
        expect(info.rooms).toEqual([info.code])
        // Activity is known only where the connection lives.
        if (info.node === node.nodeId) expect(info.messagesIn).toEqual(expect.any(Number))
        else expect([info.lastActiveAt, info.messagesIn, info.messagesOut]).toEqual([null, null, null])
      }
      // --node through the CLI too: a flag only a cluster has.
      expect((await cliListConnections(node, ['--node', 'node-2'])).connections.map((c) => c.cid)).toEqual(cids.slice(2))
      expect((await listConnections(node, { room: wall })).connections.map((c) => c.cid)).toEqual([cids[0], cids[2], cids[3]])
      expect((await listConnections(node, { uid: String(ids[2]) })).connections.map((c) => c.cid)).toEqual([cids[2]])
      expect((await listConnections(node, { type: 'wall' })).connections.map((c) => c.cid)).toEqual([cids[3]])
      expect(await roomCounts(node)).toEqual({ [wall]: 3, [side]: 1 })
    }

    await closeClient(b1)
    for (const node of nodes())
      expect(
        await poll(
          () => roomCounts(node),
          (r) => r[wall] === 2,
        ),
      ).toEqual({ [wall]: 2, [side]: 1 })
    await waitForListing(nodes(), [cids[0], cids[1], cids[3]] as string[])

    await closeClient(a2)
    for (const node of nodes())
      expect(
        await poll(
          () => roomCounts(node),
          (r) => !(side in r),
        ),
      ).toEqual({ [wall]: 2 })
  })
})

describe('a cluster of three nodes', () => {
  const { harness, cluster } = useCluster(3)
  const nodes = () => cluster().nodes as [RunningNode, RunningNode, RunningNode]

  it('lists all three nodes in status', async () => {
    for (const node of nodes()) {
      const status = await poll(
        () => nodeStatus(node),
        (s) => s.cluster.nodes.length === 3,
      )
      expect(status.cluster).toMatchObject({ store: 'redis', state: 'ok', nodes: ['node-1', 'node-2', 'node-3'] })
    }
  })

  it('delivers room sends and broadcasts exactly once on every node, and lists and counts every node', async () => {
    const [n1, n2, n3] = nodes()
    const wall = room('wall')
    const other = room('other')
    const a1 = await harness.connect(n1, { id: uid(), code: wall })
    const b1 = await harness.connect(n2, { id: uid(), code: wall })
    const b2 = await harness.connect(n2, { id: uid(), code: other })
    const c1 = await harness.connect(n3, { id: uid(), code: wall })
    const c2 = await harness.connect(n3, { id: uid(), code: wall })
    const cids = await settle(cluster(), [
      [n1, a1],
      [n2, b1],
      [n2, b2],
      [n3, c1],
      [n3, c2],
    ])

    for (const node of nodes()) {
      expect((await listConnections(node)).connections.map((c) => c.cid)).toEqual(cids)
      expect(await roomCounts(node)).toEqual({ [wall]: 4, [other]: 1 })
    }

    // From the node with a single member: it writes one and tells the two others.
    expect(await broadcast(n1, ['--room', wall, '--event', 'roomcast', 'three nodes'])).toEqual({ delivered: 1, nodes: 2 })
    await expectDelivery(n1, 'roomcast', 'three nodes', [a1, b1, c1, c2], [b2])

    // Everyone but one connection of node-3, sent from node-2.
    expect(await broadcast(n2, ['--all', '--except', cids[3] as string, '--event', 'allBut', 'not c1'])).toEqual({ delivered: 2, nodes: 2 })
    await expectDelivery(n2, 'allBut', 'not c1', [a1, b1, b2, c2], [c1])

    // A controller on node-3 sends to the room: members on node-1 and node-2 get it, its sender does not.
    for (const client of [a1, b1, c1, c2])
      await within(client.ask({ method: 'probe.probe.join', room: `${wall}-talk` }, 'joined'), EVENT_MS, 'join')
    await within(c1.ask({ method: 'probe.probe.say', room: `${wall}-talk`, text: 'from node-3' }, 'sent'), EVENT_MS, 'say')
    await expectDelivery(n3, 'said', 'from node-3', [a1, b1, c2], [c1, b2])
    for (const node of nodes()) expect((await roomCounts(node))[`${wall}-talk`]).toBe(4)

    await Promise.all([closeClient(c1), closeClient(b2)])
    for (const node of nodes()) {
      expect(
        await poll(
          () => roomCounts(node),
          (r) => r[wall] === 3 && !(other in r),
        ),
      ).toEqual({ [wall]: 3, [`${wall}-talk`]: 3 })
    }
  })
})
