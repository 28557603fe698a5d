import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import type { ConnectionsListResult, StatusResult } from '../../src/contracts/control-api.js'
import { cleanupProject, cli, cliJson, startDaemon } from '../helpers/cli.js'
import { mintToken, TestClient } from '../helpers/client.js'
import { makeClusterProjects, type ClusterNode } from '../helpers/cluster.js'
import { startNginx, testConfig, type NginxServer } from '../helpers/nginx.js'
import { within } from '../helpers/poll.js'
import { startRedisServer, type RedisServer } from '../helpers/redis-server.js'

/**
 * Two mswoole nodes on one Redis behind a real nginx running deploy/nginx.conf.
 * Clients connect to nginx from 127.0.0.2 so the address mswoole records can only
 * have come from nginx's X-Real-IP: nginx itself reaches the nodes from 127.0.0.1.
 */
const CLIENT_ADDRESS = '127.0.0.2'
const WAIT_MS = 15_000

let redis: RedisServer | undefined
let nodes: ClusterNode[] = []
let nginx: NginxServer | undefined
/** Set once everything is up, so a failed start is not followed by waits on daemons that never ran. */
let ready = false
const clients: TestClient[] = []
let nextUid = 1

beforeAll(async () => {
  redis = await startRedisServer()
  nodes = await makeClusterProjects({ redisUrl: redis.url, nodes: 2, app: { outside: { trusted_proxies: ['127.0.0.1'] } } })
  const started = await Promise.all(nodes.map((node) => startDaemon(node)))
  nginx = await startNginx({ upstreams: started.map(({ outside }) => `127.0.0.1:${outside.port}`) })
  ready = true
})

afterEach(async () => {
  await Promise.all(clients.splice(0).map(closeClient))
  // The next test counts connections per node: wait until the nodes have let go of these.
  if (ready) await vi.waitFor(async () => expect(await localCounts()).toEqual([0, 0]), { timeout: WAIT_MS, interval: 100 })
})

afterAll(async () => {
  await nginx?.stop()
  await Promise.all(nodes.map(cleanupProject))
  await redis?.stop()
})

/** Connects through nginx, from CLIENT_ADDRESS, with a fresh uid in `room`. */
async function open(room: string): Promise<TestClient> {
  if (nginx === undefined) throw new Error('nginx is not running')
  const token = await mintToken({ id: nextUid++, type: 'wechatUser', code: room })
  const client = await within(
    TestClient.connect(`${nginx.url}/?auth=${token}`, { localAddress: CLIENT_ADDRESS }),
    WAIT_MS,
    'connect through nginx',
  )
  clients.push(client)
  return client
}

async function openMany(room: string, count: number): Promise<TestClient[]> {
  const opened: TestClient[] = []
  // One after another, each held open: least_conn then alternates the nodes.
  for (let i = 0; i < count; i++) opened.push(await open(room))
  return opened
}

async function closeClient(client: TestClient): Promise<void> {
  if (client.ws.readyState !== client.ws.CLOSED) client.close()
  await within(client.closed(), WAIT_MS, 'client close')
}

async function status(node: ClusterNode): Promise<StatusResult> {
  const { exitCode, json, stderr } = await cliJson<StatusResult>(node, ['status'])
  expect(exitCode, stderr).toBe(0)
  return json
}

/** Each node's own sockets (status counts what the node holds, not the cluster). */
async function localCounts(): Promise<number[]> {
  return Promise.all(nodes.map(async (node) => (await status(node)).connections))
}

async function listed(node: ClusterNode, room: string): Promise<ConnectionsListResult> {
  const { exitCode, json, stderr } = await cliJson<ConnectionsListResult>(node, ['conn', 'ls', '--room', room])
  expect(exitCode, stderr).toBe(0)
  return json
}

/** The uids in a listing, as strings (the token's id may come back as a number). */
const uidsOf = (result: ConnectionsListResult) => result.connections.map((c) => String(c.id))

describe('mswoole behind nginx (deploy/nginx.conf)', () => {
  it('ships a configuration that nginx -t accepts as it is', async () => {
    const { ok, output } = await testConfig()
    expect(ok, output).toBe(true)
  })

  it('spreads clients over both nodes, each recorded with its own address', async () => {
    const first = nextUid
    await openMany('spread', 6)
    const expected = Array.from({ length: 6 }, (_v, i) => String(first + i))

    const counts = await localCounts()
    for (const count of counts) expect(count).toBeGreaterThan(0)
    expect(counts.reduce((a, b) => a + b)).toBe(6)

    // Each node lists at least its own; with the cluster store it may list everyone's.
    const lists = await Promise.all(nodes.map((node) => listed(node, 'spread')))
    const union = new Set(lists.flatMap(uidsOf))
    expect([...union].sort()).toEqual([...expected].sort())
    for (const [i, list] of lists.entries()) expect(list.connections.length).toBeGreaterThanOrEqual(counts[i] as number)
    // nginx connects from 127.0.0.1, a trusted proxy; the address recorded is the one it passed in X-Real-IP.
    for (const entry of lists.flatMap((list) => list.connections)) expect(entry.ip).toBe(CLIENT_ADDRESS)
  })

  it('carries messages and keepalives both ways', async () => {
    const client = await open('roundtrip')
    expect(await within(client.ask({ method: 'index.index.index' }, 'success'), WAIT_MS, 'reply')).toMatchObject({
      status: 200,
      event: 'success',
    })
    // Everything before the reply has been read: the next frame is the keepalive's answer.
    client.send('2')
    expect(await within(client.nextFrame(), WAIT_MS, 'keepalive answer')).toBe('3')
  })

  it('delivers a broadcast made on node-1 to the clients of both nodes', async () => {
    const members = await openMany('everyone', 6)
    for (const count of await localCounts()) expect(count).toBeGreaterThan(0)
    const result = await cli(nodes[0] as ClusterNode, ['broadcast', '--room', 'everyone', 'hello from node-1'])
    expect(result.exitCode, result.stderr).toBe(0)
    for (const [i, member] of members.entries()) {
      const got = await within(member.next('serverBroadcast'), WAIT_MS, `broadcast to client ${i + 1} of ${members.length}`)
      expect(got).toEqual({ status: 200, event: 'serverBroadcast', info: 'hello from node-1' })
    }
  })

  it('keeps serving across an nginx reload', async () => {
    const before = await openMany('reload', 2)
    await nginx?.reload()

    const after = await open('reload')
    expect(await within(after.ask({ method: 'index.index.index' }, 'success'), WAIT_MS, 'reply after reload')).toMatchObject({
      status: 200,
    })

    // nginx's old worker keeps the upgraded connections it holds until they close (no
    // worker_shutdown_timeout here), so the sockets opened before the reload still work.
    for (const client of before) {
      client.send('2')
      expect(await within(client.nextFrame(), WAIT_MS, 'keepalive after reload')).toBe('3')
    }
  })
})
