import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { RoomPresence } from '../../src/app-api/types.js'
import type { RoomsListResult } from '../../src/contracts/control-api.js'
import { waitForExit } from '../../src/lifecycle/wait-exit.js'
import { cli, cliJson } from '../helpers/cli.js'
import { TestClient, type Envelope } from '../helpers/client.js'
import {
  ClusterHarness,
  CLUSTER_START_MS,
  closeClient,
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
 * Room presence across the nodes of a cluster on one Redis: app.presence and
 * `rooms --presence` count every node's connections, and a uid's first join
 * and last leave of a presence room are decided in Redis, so tabs of one uid
 * on two nodes make one presenceJoin and one presenceLeave between them.
 * Auth is off, so a client without a token is anonymous.
 */
const APP = { app: FIXTURE_APP, setting: { ack: false }, auth: { enabled: false }, presence: { rooms: ['pr-*'] } }

let redis: RedisServer | undefined
beforeAll(async () => {
  redis = await startRedisServer()
})
afterAll(async () => {
  await redis?.stop()
})

let nextRoom = 1
const presenceRoom = () => `pr-${nextRoom++}`
let nextUid = 1
/** A uid of the test's own, as the token's id (a number) and as presence names it (text). */
const uid = () => 7000 + nextUid++

/** Starts a cluster of `nodes` on the file's Redis, once every node's heartbeat has seen the others. */
async function startCluster(harness: ClusterHarness, nodes: number, setting: Record<string, unknown> = {}): Promise<RunningCluster> {
  if (redis === undefined) throw new Error('redis-server did not start')
  const started = await harness.start({ redisUrl: redis.url, nodes, app: { ...APP, setting: { ...APP.setting, ...setting } } })
  await Promise.all(
    started.nodes.map((node) =>
      poll(
        () => nodeStatus(node),
        (s) => s.cluster.nodes.length === nodes,
      ),
    ),
  )
  return started
}

/** A client without a token (anonymous: auth is off), closed by the harness's owner after the test. */
const anonymousClients: TestClient[] = []
async function connectAnonymous(node: RunningNode): Promise<TestClient> {
  const client = await within(TestClient.connect(`ws://127.0.0.1:${node.port}/`), EVENT_MS, `connect to ${node.nodeId}`)
  anonymousClients.push(client)
  return client
}
afterEach(async () => {
  await Promise.all(anonymousClients.splice(0).map(closeClient))
})

const ask = async (client: TestClient, message: Record<string, unknown>, event: string): Promise<Envelope> =>
  within(client.ask(message, event), EVENT_MS, String(message.method))

/**
 * app.presence on the client's node; it answers once that node's events under
 * way have been sent. Asking skips the client's other frames: ask through a
 * client whose presence events the test does not read.
 */
const presenceOf = async (client: TestClient, room: string): Promise<RoomPresence> =>
  (await ask(client, { method: 'probe.probe.presence', room }, 'presence')).param as RoomPresence

const connectionsOf = (presence: RoomPresence, id: number): number => presence.uids.find((u) => u.uid === String(id))?.connections ?? 0

const PRESENCE = ['presenceJoin', 'presenceLeave']
let nextMarker = 1

/**
 * The presence events `client` gets before a marker that `via` sends to the
 * room now. Call it once every node whose events count has answered an
 * app.presence since the change: their events were then written here or
 * published, and the marker is published after them.
 */
async function eventsUntilMarker(client: TestClient, via: RunningNode, room: string): Promise<Envelope[]> {
  const marker = `marker ${nextMarker++}`
  await control(via, 'broadcast', { room, event: 'marker', info: marker })
  const seen: Envelope[] = []
  for (;;) {
    const envelope = JSON.parse(await within(client.nextFrame(), EVENT_MS, 'a frame before the marker')) as Envelope
    if (envelope.event === 'marker' && envelope.info === marker) return seen
    if (PRESENCE.includes(envelope.event)) seen.push(envelope)
  }
}

/** Events from different nodes arrive in no set order: compared by uid. */
const byUid = (events: Envelope[]): Envelope[] =>
  [...events].sort((a, b) => String((a.param as { uid: string }).uid).localeCompare(String((b.param as { uid: string }).uid)))

const join = (room: string, id: number | string) => ({
  status: 200,
  event: 'presenceJoin',
  info: 'joined',
  param: { room, uid: String(id) },
})
const leave = (room: string, id: number | string) => ({
  status: 200,
  event: 'presenceLeave',
  info: 'left',
  param: { room, uid: String(id) },
})

describe('presence on a cluster of two nodes', () => {
  const harness = new ClusterHarness()
  let cluster: RunningCluster | undefined
  let view: RedisView | undefined
  beforeAll(async () => {
    cluster = await startCluster(harness, 2)
    view = await RedisView.open(cluster)
  }, CLUSTER_START_MS)
  afterEach(async () => {
    await harness.closeClients()
  })
  afterAll(async () => {
    view?.close()
    await harness.cleanup()
  })
  const nodes = () => cluster?.nodes as [RunningNode, RunningNode]
  /** A room's counts in Redis: uid → connections on every node, and one node's share. */
  const counts = async (room: string, node?: string): Promise<Record<string, string>> =>
    (view as RedisView).client.hgetall(`${cluster?.prefix}@presence:{${room}}${node === undefined ? '' : `:${node}`}`)

  it('answers app.presence and rooms --presence with the connections of both nodes', async () => {
    const [n1, n2] = nodes()
    const room = presenceRoom()
    const [x, y] = [uid(), uid()]
    await harness.connect(n1, { id: x, code: room })
    await harness.connect(n2, { id: x, code: room })
    await harness.connect(n2, { id: y, code: room })
    const anonymous = await connectAnonymous(n1)
    await ask(anonymous, { method: 'probe.probe.join', room }, 'joined')
    const expected: RoomPresence = {
      room,
      connections: 4,
      anonymous: 1,
      uids: [
        { uid: String(x), connections: 2 },
        { uid: String(y), connections: 1 },
      ],
    }
    // The other node's connections are read from Redis, where they arrive just after they open.
    expect(
      await poll(
        () => presenceOf(anonymous, room),
        (p) => p.connections === 4,
      ),
    ).toEqual(expected)
    const asker = await harness.connect(n2, { id: uid(), code: 'elsewhere' })
    expect(
      await poll(
        () => presenceOf(asker, room),
        (p) => p.connections === 4,
      ),
    ).toEqual(expected)

    const listing = await cliJson<RoomsListResult>(n2, ['rooms', '--presence', '--prefix', room])
    expect(listing.exitCode, listing.stderr).toBe(0)
    expect(listing.json.rooms).toEqual([{ name: room, members: 4, anonymous: 1, uids: expected.uids }])
    const printed = await cli(n1, ['rooms', '--presence', '--prefix', room])
    expect(printed.stdout.split('\n').map((line) => line.split(/ {3,}/))).toEqual([
      ['ROOM', 'UID', 'CONNECTIONS'],
      [room, String(x), '2'],
      [room, String(y), '1'],
      [room, '-', '1'],
    ])
  })

  it('sends one presenceJoin for two tabs of a uid opened at once on two nodes, and one presenceLeave when the last closes', async () => {
    const [n1, n2] = nodes()
    const room = presenceRoom()
    const observer = await harness.connect(n1, { id: 'observer', code: room })
    const asker = await harness.connect(n1, { id: 'asker', code: 'elsewhere' })
    // node-1 answers app.presence once the observer's own join has gone out.
    await presenceOf(asker, room)
    expect(await eventsUntilMarker(observer, n2, room)).toEqual([join(room, 'observer')])

    const x = uid()
    const [tab1, tab2] = await Promise.all([harness.connect(n1, { id: x, code: room }), harness.connect(n2, { id: x, code: room })])
    // Each node has counted its tab and sent what it had to; both see the two tabs.
    for (const tab of [tab1, tab2]) {
      const seen = await poll(
        () => presenceOf(tab, room),
        (p) => connectionsOf(p, x) === 2,
      )
      expect(connectionsOf(seen, x)).toBe(2)
    }
    expect(await eventsUntilMarker(observer, n2, room)).toEqual([join(room, x)])
    expect(await counts(room)).toEqual({ observer: '1', [x]: '2' })
    expect(await counts(room, 'node-2')).toEqual({ [x]: '1' })

    // One of the two closes: no leave.
    await closeClient(tab1)
    const afterOne = await poll(
      () => presenceOf(asker, room),
      (p) => connectionsOf(p, x) === 1,
    )
    expect(connectionsOf(afterOne, x)).toBe(1)
    expect(await eventsUntilMarker(observer, n2, room)).toEqual([])

    // The last one, on the other node: the observer hears it through Redis.
    await closeClient(tab2)
    expect(await within(observer.next('presenceLeave'), EVENT_MS, 'presenceLeave')).toEqual(leave(room, x))
    expect(await eventsUntilMarker(observer, n2, room)).toEqual([])
    expect(await counts(room)).toEqual({ observer: '1' })
    expect(await counts(room, 'node-2')).toEqual({})
  })

  it('sends one presenceLeave when the tabs of a uid on two nodes close at once', async () => {
    const [n1, n2] = nodes()
    const room = presenceRoom()
    const observer = await harness.connect(n1, { id: 'observer', code: room })
    await harness.connect(n2, { id: 'watcher', code: room })
    const askers = [
      await harness.connect(n1, { id: 'asker', code: 'elsewhere' }),
      await harness.connect(n2, { id: 'asker', code: 'elsewhere' }),
    ]
    const x = uid()
    const tab1 = await harness.connect(n1, { id: x, code: room })
    const tab2 = await harness.connect(n2, { id: x, code: room })
    for (const client of askers) {
      await poll(
        () => presenceOf(client, room),
        (p) => p.connections === 4,
      )
    }
    expect(byUid(await eventsUntilMarker(observer, n2, room))).toEqual(
      byUid([join(room, 'observer'), join(room, 'watcher'), join(room, x)]),
    )

    await Promise.all([closeClient(tab1), closeClient(tab2)])
    expect(await within(observer.next('presenceLeave'), EVENT_MS, 'presenceLeave')).toEqual(leave(room, x))
    // Both nodes have counted their close (each answers once its own is done).
    for (const client of askers) {
      const seen = await poll(
        () => presenceOf(client, room),
        (p) => connectionsOf(p, x) === 0,
      )
      expect(seen.connections).toBe(2)
    }
    expect(await eventsUntilMarker(observer, n2, room)).toEqual([])
    expect(await counts(room)).toEqual({ observer: '1', watcher: '1' })
  })

  it('counts a uid a controller binds on either node, and a join and leave by a controller', async () => {
    const [n1, n2] = nodes()
    const room = presenceRoom()
    const observer = await harness.connect(n1, { id: 'observer', code: room })
    const a = await connectAnonymous(n1)
    // node-1 answers app.presence once the observer's own join has gone out: the marker comes after it.
    await presenceOf(a, room)
    expect(await eventsUntilMarker(observer, n2, room)).toEqual([join(room, 'observer')])
    const fan = `fan-${uid()}`
    const b = await connectAnonymous(n2)
    await Promise.all([a, b].map((client) => ask(client, { method: 'probe.probe.join', room }, 'joined')))
    await Promise.all([a, b].map((client) => ask(client, { method: 'probe.probe.bind', uid: fan }, 'bound')))
    expect(await eventsUntilMarker(observer, n2, room)).toEqual([join(room, fan)])
    await ask(b, { method: 'probe.probe.leave', room }, 'left')
    expect(await eventsUntilMarker(observer, n2, room)).toEqual([])
    await ask(a, { method: 'probe.probe.unbind', uid: fan }, 'unbound')
    expect(await eventsUntilMarker(observer, n2, room)).toEqual([leave(room, fan)])
    expect(await presenceOf(observer, room)).toEqual({ room, connections: 2, anonymous: 1, uids: [{ uid: 'observer', connections: 1 }] })
  })
})

describe('presence when a node of the cluster is killed', () => {
  const harness = new ClusterHarness()
  afterEach(async () => {
    await harness.cleanup()
  })

  it(
    'sends presenceLeave for the uids that were only on the dead node, once its connections are removed',
    async () => {
      // The shortest node_timeout (2 s): the survivor notices within a second of the kill.
      const cluster = await startCluster(harness, 2, { node_timeout: 2 })
      const view = await RedisView.open(cluster)
      try {
        const [n1, n2] = cluster.nodes as [RunningNode, RunningNode]
        const room = presenceRoom()
        const observer = await harness.connect(n1, { id: 'observer', code: room })
        const [gone, stays] = [uid(), uid()]
        const goneTab = await harness.connect(n2, { id: gone, code: room })
        const staysHere = await harness.connect(n1, { id: stays, code: room })
        const staysThere = await harness.connect(n2, { id: stays, code: room })
        for (const client of [staysHere, goneTab]) {
          await poll(
            () => presenceOf(client, room),
            (p) => p.connections === 4,
          )
        }
        expect(byUid(await eventsUntilMarker(observer, n2, room))).toEqual(
          byUid([join(room, 'observer'), join(room, gone), join(room, stays)]),
        )

        const { pid } = await nodeStatus(n2)
        process.kill(pid, 'SIGKILL')
        expect(await waitForExit(pid, EVENT_MS)).toBe(true)
        for (const client of [goneTab, staysThere]) await within(client.closed(), EVENT_MS, 'a client of node-2 closing')

        expect(await within(observer.next('presenceLeave'), EVENT_MS, 'presenceLeave')).toEqual(leave(room, gone))
        // The removal's last step takes the node off the list: its leaves have been sent by then.
        await poll(
          () => view.members('@nodes'),
          (listed) => !listed.includes('node-2'),
        )
        expect(await eventsUntilMarker(observer, n1, room)).toEqual([])
        expect(await presenceOf(staysHere, room)).toEqual({
          room,
          connections: 2,
          anonymous: 0,
          uids: [
            { uid: String(stays), connections: 1 },
            { uid: 'observer', connections: 1 },
          ],
        })
        expect(await view.client.hgetall(`${cluster.prefix}@presence:{${room}}`)).toEqual({ observer: '1', [stays]: '1' })
        expect(await view.exists(`@presence:{${room}}:node-2`)).toBe(false)
        expect(await view.exists('@presence-rooms:node-2')).toBe(false)
      } finally {
        view.close()
      }
    },
    CLUSTER_START_MS,
  )
})

describe('presence through a Redis outage', () => {
  const harness = new ClusterHarness()
  afterEach(async () => {
    await harness.cleanup()
  })

  /** Both nodes report the cluster in this state. */
  const clusterState = (cluster: RunningCluster, state: 'ok' | 'degraded') =>
    Promise.all(
      cluster.nodes.map(async (node) => {
        const seen = await poll(
          () => nodeStatus(node),
          (s) => s.cluster.state === state,
        )
        expect(seen.cluster.state, node.nodeId).toBe(state)
      }),
    )

  it('counts the rooms again from the connections once Redis is back, even empty, and sends no leave for a uid still there', {
    timeout: 120_000,
  }, async () => {
    const cluster = await startCluster(harness, 2)
    const view = await RedisView.open(cluster)
    try {
      const [n1, n2] = cluster.nodes as [RunningNode, RunningNode]
      const room = presenceRoom()
      const observer = await harness.connect(n1, { id: 'observer', code: room })
      const askers = [
        await harness.connect(n1, { id: 'asker', code: 'elsewhere' }),
        await harness.connect(n2, { id: 'asker', code: 'elsewhere' }),
      ]
      const [x, z] = [uid(), uid()]
      await harness.connect(n1, { id: x, code: room })
      const xThere = await harness.connect(n2, { id: x, code: room })
      for (const client of askers) {
        await poll(
          () => presenceOf(client, room),
          (p) => p.connections === 3,
        )
      }
      expect(byUid(await eventsUntilMarker(observer, n2, room))).toEqual(byUid([join(room, 'observer'), join(room, x)]))

      await (redis as RedisServer).stop()
      await clusterState(cluster, 'degraded')
      // Meanwhile: one of x's tabs closes on node-2, a new uid comes in on node-1.
      await closeClient(xThere)
      await harness.connect(n1, { id: z, code: room })
      await (redis as RedisServer).restart()
      await clusterState(cluster, 'ok')

      await view.reconnected()
      expect(await view.client.hgetall(`${cluster.prefix}@presence:{${room}}`)).toEqual({ observer: '1', [x]: '1', [z]: '1' })
      expect(await view.client.hgetall(`${cluster.prefix}@presence:{${room}}:node-2`)).toEqual({})
      expect(await view.members('@presence-rooms:node-1')).toEqual([room])
      const expected: RoomPresence = {
        room,
        connections: 3,
        anonymous: 0,
        uids: [
          { uid: String(x), connections: 1 },
          { uid: String(z), connections: 1 },
          { uid: 'observer', connections: 1 },
        ],
      }
      for (const client of askers) {
        expect(
          await poll(
            () => presenceOf(client, room),
            (p) => p.connections === 3,
          ),
        ).toEqual(expected)
      }
      // Redis came back empty: what it counted is gone, so the room hears a join for each uid in it again, and no leave.
      const after = await eventsUntilMarker(observer, n2, room)
      expect(after.filter((e) => e.event === 'presenceLeave')).toEqual([])
      expect(byUid(after)).toEqual(byUid([join(room, 'observer'), join(room, x), join(room, z)]))
    } finally {
      view.close()
    }
  })
})
