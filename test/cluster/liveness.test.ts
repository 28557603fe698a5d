import { describe, expect, it } from 'vitest'
import { waitForExit } from '../../src/lifecycle/wait-exit.js'
import { cli, cliJson, startDaemon } from '../helpers/cli.js'
import type { TestClient } from '../helpers/client.js'
import {
  cidOf,
  EVENT_MS,
  FIXTURE_APP,
  listedCids,
  logLinesStarting,
  nodeStatus,
  roomCounts,
  useClusterSuite,
  waitForListing,
  type RedisView,
  type RunningCluster,
  type RunningNode,
} from '../helpers/cluster.js'
import { poll, within } from '../helpers/poll.js'

/**
 * A node that dies without a word (kill -9): the survivors notice its heartbeat
 * expire and one of them removes its connections from the cluster; a node that
 * comes back under the same id first removes what its former self left.
 */
const SWEPT = 'a node stopped answering: removed its connections from the cluster'

const suite = useClusterSuite()
const { harness } = suite

/** A fresh cluster for each test of the enclosing describe (its tests kill nodes), started before the test. */
function useCluster(nodes: number, nodeTimeout: number): () => { cluster: RunningCluster; view: RedisView } {
  return suite.fresh(nodes, { node_timeout: nodeTimeout })
}

/** SIGKILL to the node's daemon (its pid from status), then its clients see their sockets drop. */
async function killNode(node: RunningNode, clients: TestClient[]): Promise<void> {
  const { pid } = await nodeStatus(node)
  process.kill(pid, 'SIGKILL')
  // Not our child: no exit event to await, so wait for the kernel to reap it.
  expect(await waitForExit(pid, EVENT_MS)).toBe(true)
  for (const client of clients) await within(client.closed(), EVENT_MS, `a client of ${node.nodeId} closing`)
}

let nextUid = 5000
const uid = () => nextUid++

/** A log line that names this node in one of its fields (the removed node, not the one that logged it). */
const names = (node: string) => (line: Record<string, unknown>) =>
  Object.entries(line).some(([key, value]) => key !== 'msg' && value === node)

async function join(client: TestClient, room: string): Promise<void> {
  await within(client.ask({ method: 'probe.probe.join', room }, 'joined'), EVENT_MS, `join ${room}`)
}

async function bind(client: TestClient, to: string): Promise<void> {
  await within(client.ask({ method: 'probe.probe.bind', uid: to }, 'bound'), EVENT_MS, `bind ${to}`)
}

describe('a node killed with SIGKILL', () => {
  describe('from three nodes', () => {
    // The shortest node_timeout (2 s): the survivors notice within a second of the kill.
    const started = useCluster(3, 2)

    it('has its connections removed from rooms, listings and Redis by exactly one survivor', async () => {
      const { cluster, view } = started()
      const [n1, n2, n3] = cluster.nodes as [RunningNode, RunningNode, RunningNode]
      const shared = uid()
      const [dyingUid, fan] = [uid(), `fan-${uid()}`]
      const a1 = await harness.connect(n1, { id: uid(), code: 'wall' })
      const b1 = await harness.connect(n2, { id: shared, code: 'wall' })
      const b2 = await harness.connect(n2, { id: uid(), code: 'side' })
      const c1 = await harness.connect(n3, { id: shared, code: 'wall' })
      const c2 = await harness.connect(n3, { id: dyingUid, code: 'side' })
      for (const client of [a1, c1]) await join(client, 'stage')
      for (const client of [a1, c2]) await bind(client, fan)
      const [a1Cid, b1Cid, b2Cid, c1Cid, c2Cid] = await Promise.all([
        cidOf(n1, a1),
        cidOf(n2, b1),
        cidOf(n2, b2),
        cidOf(n3, c1),
        cidOf(n3, c2),
      ])
      await waitForListing(cluster.nodes, [a1Cid, b1Cid, b2Cid, c1Cid, c2Cid])
      // What the survivors will have to remove is there.
      expect(await view.members('wall')).toEqual([a1Cid, b1Cid, c1Cid].sort())
      expect(await view.members('stage')).toEqual([a1Cid, c1Cid].sort())
      expect(await view.members(`@uid:${fan}`)).toEqual([a1Cid, c2Cid].sort())
      expect(Object.keys(await view.directory('node-3'))).toHaveLength(2)
      expect(await roomCounts(n1)).toEqual({ wall: 3, side: 2, stage: 2 })

      await killNode(n3, [c1, c2])

      // The last step of a removal takes the node off the list: then every other step is done.
      expect(
        await poll(
          () => view.members('@nodes'),
          (nodes) => !nodes.includes('node-3'),
        ),
      ).toEqual(['node-1', 'node-2'])
      expect(await view.members('wall')).toEqual([a1Cid, b1Cid].sort())
      expect(await view.members('side')).toEqual([b2Cid])
      expect(await view.members('stage')).toEqual([a1Cid])
      expect(await view.members(`@uid:${shared}`)).toEqual([b1Cid])
      expect(await view.members(`@uid:${fan}`)).toEqual([a1Cid])
      expect(await view.exists(`@uid:${dyingUid}`)).toBe(false)
      expect(await view.exists('@conns:node-3')).toBe(false)
      expect(await view.exists('@node:node-3')).toBe(false)

      for (const node of [n1, n2]) {
        expect(await listedCids(node)).toEqual([a1Cid, b1Cid, b2Cid])
        expect(await roomCounts(node)).toEqual({ wall: 2, side: 1, stage: 1 })
        const status = await poll(
          () => nodeStatus(node),
          (s) => !s.cluster.nodes.includes('node-3') && !s.cluster.members.some((m) => m.node === 'node-3'),
        )
        expect(status.cluster).toMatchObject({ store: 'redis', state: 'ok', nodes: ['node-1', 'node-2'] })
        expect(status.cluster.members.map((m) => m.node)).toEqual(['node-1', 'node-2'])
      }

      // Both survivors have had a heartbeat since the node left the list (their status says so): one removal, logged once.
      const removals = async () => (await Promise.all([n1, n2].map((node) => logLinesStarting(node, SWEPT)))).flat().filter(names('node-3'))
      const logged = await poll(removals, (lines) => lines.length > 0)
      expect(logged).toHaveLength(1)
      expect(logged[0]).toMatchObject({ connections: 2 })

      // The survivors carry on: a room send from one reaches the other.
      const sent = await cliJson<{ delivered: number; nodes: number }>(n2, [
        'broadcast',
        '--room',
        'wall',
        '--event',
        'after',
        'still here',
      ])
      expect(sent.json).toEqual({ delivered: 1, nodes: 1 })
      expect((await within(a1.next('after'), EVENT_MS, 'broadcast after the kill')).info).toBe('still here')
    })
  })

  describe('from two nodes, and restarted', () => {
    // A long node_timeout (its heartbeat outlives the dead node by 150 s): the survivor cannot have
    // removed the dead node before it is back, however long the restart takes on a busy machine
    // (with 30 s, a restart of over 15 s under load let node-1 sweep it first).
    const started = useCluster(2, 300)

    it('removes its former self at start when restarted before the others noticed', async () => {
      const { cluster, view } = started()
      const [n1, n2] = cluster.nodes as [RunningNode, RunningNode]
      const goneUid = uid()
      const a1 = await harness.connect(n1, { id: uid(), code: 'wall' })
      const b1 = await harness.connect(n2, { id: goneUid, code: 'wall' })
      const b2 = await harness.connect(n2, { id: uid(), code: 'side' })
      const b3 = await harness.connect(n2, { id: uid(), code: 'wall' })
      await join(b3, 'stage')
      const [a1Cid, ...oldCids] = await Promise.all([cidOf(n1, a1), cidOf(n2, b1), cidOf(n2, b2), cidOf(n2, b3)])
      await waitForListing(cluster.nodes, [a1Cid, ...oldCids])

      await killNode(n2, [b1, b2, b3])
      // Its heartbeat is still alive, so node-1 still lists the dead node's connections.
      expect(await view.exists('@node:node-2')).toBe(true)
      expect(await listedCids(n1)).toEqual([a1Cid, ...oldCids])

      const restarted = await startDaemon(n2)
      expect(restarted.nodeId).toBe('node-2')
      // The start itself removed every entry of the former self.
      expect(await view.members('wall')).toEqual([a1Cid])
      expect(await view.exists('side')).toBe(false)
      expect(await view.exists('stage')).toBe(false)
      expect(await view.exists(`@uid:${goneUid}`)).toBe(false)
      expect(await view.directory('node-2')).toEqual({})
      expect(await view.members('@nodes')).toEqual(['node-1', 'node-2'])

      // Its new connections (fds count from 1 again) are what the cluster sees of it now.
      const newUid = uid()
      const d1 = await harness.connect({ ...n2, status: restarted, port: restarted.outside.port }, { id: newUid, code: 'after' })
      const d1Cid = await cidOf(n2, d1)
      await waitForListing([n1, n2], [a1Cid, d1Cid])
      expect(await view.members('after')).toEqual([d1Cid])
      expect(await view.members('wall')).toEqual([a1Cid])
      expect(await view.members(`@uid:${newUid}`)).toEqual([d1Cid])
      expect(Object.values(await view.directory('node-2'))).toMatchObject([{ id: newUid, code: 'after', rooms: ['after'] }])
      expect(await roomCounts(n1)).toEqual({ wall: 1, after: 1 })

      // Nobody swept it: it came back first.
      expect(await logLinesStarting(n1, SWEPT)).toEqual([])
    })
  })

  describe('while another daemon claims its node id', () => {
    const started = useCluster(1, 2)

    it('keeps a second daemon from taking the node id of a live node', async () => {
      const { cluster, view } = started()
      const [n1] = cluster.nodes as [RunningNode]
      const a1 = await harness.connect(n1, { id: uid(), code: 'wall' })
      const a1Cid = await cidOf(n1, a1)
      await waitForListing([n1], [a1Cid])

      const namesake = await harness.extraProject(cluster, { app: FIXTURE_APP, node_id: 'node-1', setting: { node_timeout: 2 } })
      const { exitCode, json, stderr } = await cliJson<{ error: { code: string } }>(namesake, ['start'])
      expect(exitCode, stderr).toBe(1)
      expect(json.error.code).toBe('MSW_ERR_NODE_ID_IN_USE')
      expect(stderr).toContain('MSW_ERR_NODE_ID_IN_USE')
      expect((await cli(namesake, ['status'])).exitCode).toBe(3)

      // The live node lost nothing to the attempt.
      const heartbeat = JSON.parse((await view.client.get(`${cluster.prefix}@node:node-1`)) ?? 'null') as { pid: number } | null
      expect(heartbeat?.pid).toBe(n1.status.pid)
      expect(Object.keys(await view.directory('node-1'))).toEqual([a1Cid.split(':')[1]])
      expect(await view.members('wall')).toEqual([a1Cid])
      expect(await listedCids(n1)).toEqual([a1Cid])
      expect((await within(a1.ask({ method: 'index.index.index' }, 'success'), EVENT_MS, 'answer')).status).toBe(200)
    })
  })
})
