import { randomBytes } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { DeliveryResult, KickResult } from '../../src/contracts/control-api.js'
import { cleanupProject, cliJson, startDaemon } from '../helpers/cli.js'
import { mintToken, TestClient } from '../helpers/client.js'
import { cidOf, closeClient, EVENT_MS, listConnections, nodeStatus, waitForListing, type ClusterNode } from '../helpers/cluster.js'
import { poll, within } from '../helpers/poll.js'
import { makeProject } from '../helpers/project.js'
import { startRedisCluster, startRedisSentinel, useTopology } from '../helpers/redis-topologies.js'

/** What cache.json says besides the driver and the prefix: where Redis is. */
type RedisTarget = { cluster: string[] } | { options: { sentinels: Array<{ host: string; port: number }>; name: string } }

const projects: ClusterNode[] = []
const clients: TestClient[] = []

/** Project folders for `count` nodes (node-1, node-2, …) whose cache.json names this Redis and one fresh prefix. */
async function makeTopologyProjects(target: RedisTarget, count: number): Promise<ClusterNode[]> {
  const prefix = `t${randomBytes(4).toString('hex')}:`
  const nodes: ClusterNode[] = []
  for (let i = 1; i <= count; i++) {
    const nodeId = `node-${i}`
    const project = await makeProject({ node_id: nodeId })
    const node = { ...project, nodeId }
    projects.push(node)
    await writeFile(path.join(project.configDir, 'cache.json'), JSON.stringify({ driver: 'redis', ...target, prefix }, null, 2))
    nodes.push(node)
  }
  return nodes
}

async function connect(port: number, id: number, code: string): Promise<TestClient> {
  const token = await mintToken({ id, type: 'wechatUser', code })
  const client = await within(TestClient.connect(`ws://127.0.0.1:${port}/?auth=${token}`), EVENT_MS, `connect to port ${port}`)
  clients.push(client)
  return client
}

afterEach(async () => {
  await Promise.all(clients.splice(0).map(closeClient))
  await Promise.all(projects.splice(0).map(cleanupProject))
})

/**
 * A test starts its two nodes itself (they must reach Redis through the topology under test):
 * on a busy 2-core machine, two daemon starts alone can take most of vitest's default minute.
 */
const TWO_NODES_MS = 150_000

/** Two nodes started through the CLI on `target`: a room broadcast, the listing and the status span both. */
async function twoNodes(target: RedisTarget): Promise<void> {
  const nodes = await makeTopologyProjects(target, 2)
  const [node1, node2] = nodes as [ClusterNode, ClusterNode]
  const [status1, status2] = await Promise.all(nodes.map((node) => startDaemon(node)))
  expect(status1?.cluster.store).toBe('redis')
  expect(status2?.cluster.store).toBe('redis')

  const room = `room-${randomBytes(3).toString('hex')}`
  const on1 = await connect(status1?.outside.port as number, 1, room)
  const on2 = await connect(status2?.outside.port as number, 2, room)
  const cid1 = await cidOf(node1, on1)
  const cid2 = await cidOf(node2, on2)

  // node-2 lists node-1's connection as well as its own, each with the node that holds it.
  await waitForListing([node2], [cid1, cid2])
  const listed = await listConnections(node2)
  expect(listed.connections.map(({ cid, node, id }) => ({ cid, node, id })).sort((a, b) => a.cid.localeCompare(b.cid))).toEqual([
    { cid: cid1, node: 'node-1', id: 1 },
    { cid: cid2, node: 'node-2', id: 2 },
  ])

  // Sent through node-1, delivered by node-1 to its client and by node-2 to its own.
  const sent = await cliJson<DeliveryResult>(node1, ['broadcast', '--room', room, 'x'])
  expect(sent.exitCode, sent.stderr).toBe(0)
  expect(sent.json.delivered).toBe(1)
  for (const client of [on1, on2]) {
    const envelope = await within(client.next('serverBroadcast'), EVENT_MS, 'the broadcast')
    expect(envelope).toEqual({ status: 200, event: 'serverBroadcast', info: 'x' })
  }

  // Each node sees both at its next heartbeat.
  for (const node of nodes) {
    const status = await poll(
      () => nodeStatus(node),
      (s) => s.cluster.nodes.length === 2,
    )
    expect(status.cluster.state).toBe('ok')
    expect([...status.cluster.nodes].sort()).toEqual(['node-1', 'node-2'])
  }

  // Once node-1 has seen node-2: a broadcast says it went to one other node, and a push and a kick by connection id reach node-2's client.
  const again = await cliJson<DeliveryResult>(node1, ['broadcast', '--room', room, 'y'])
  expect(again.json).toEqual({ delivered: 1, nodes: 1 })
  for (const client of [on1, on2]) {
    expect(await within(client.next('serverBroadcast'), EVENT_MS, 'the second broadcast')).toMatchObject({ info: 'y' })
  }
  const pushed = await cliJson<DeliveryResult>(node1, ['push', '--fd', cid2, 'p'])
  expect(pushed.exitCode, pushed.stderr).toBe(0)
  expect(pushed.json).toEqual({ delivered: 0, nodes: 1 })
  expect(await within(on2.next('serverPush'), EVENT_MS, 'the push')).toMatchObject({ info: 'p' })
  const kicked = await cliJson<KickResult>(node1, ['kick', cid2, '--reason', 'bye'])
  expect(kicked.exitCode, kicked.stderr).toBe(0)
  expect(kicked.json).toMatchObject({ cid: cid2, node: 'node-2', code: 4000, reason: 'bye' })
  expect(await within(on2.closed(), EVENT_MS, 'the kick')).toEqual({ code: 4000, reason: 'bye' })
}

describe('two nodes through Sentinel', () => {
  const topology = useTopology(() => startRedisSentinel())

  it('a broadcast from node-1 reaches both nodes’ clients; node-2 lists both; status shows both nodes; push and kick cross', {
    timeout: TWO_NODES_MS,
  }, async () => {
    const { sentinels, name } = topology()
    await twoNodes({ options: { sentinels, name } })
  })
})

describe('two nodes on a Redis Cluster', () => {
  const topology = useTopology(() => startRedisCluster(3))

  it('a broadcast from node-1 reaches both nodes’ clients; node-2 lists both; status shows both nodes; push and kick cross', {
    timeout: TWO_NODES_MS,
  }, async () => {
    await twoNodes({ cluster: topology().nodes })
  })
})
