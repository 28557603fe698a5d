/**
 * Cluster fan-out (bench/scenarios/cluster-fan-out.ts reports it): one room of N idle WebSocket
 * clients split over two mswoole nodes on one Redis, against the same room on one node on the
 * same Redis, so the comparison isolates the split. Broadcasts go to the first node's control
 * socket; it delivers to its members and publishes once over Redis, and the other node delivers
 * to its own. Measured exactly as bench/fan-out.ts measures (the same client, in this process,
 * its sockets spread over the nodes' ports; the same burst and steady phases), with each node's
 * share of every phase and the CPU of redis-server apart.
 */
import { randomBytes } from 'node:crypto'
import os from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'
import { MSWOOLE_SETTING, startAndMeasure, type FanOutOptions, type LiveSubject, type ServerNode, type SubjectResult } from './fan-out.js'
import { mswooleTrigger, type MswooleTrigger } from './lib/broadcast-trigger.js'
import { startMswoole, type MswooleTarget } from './lib/mswoole-target.js'
import { redisCommand } from './lib/plain-ws-target.js'
// The same throwaway redis-server the tests start (installed from Debian when missing).
import { startRedisServer } from '../test/helpers/redis-server.js'
import { stopOnInterrupt } from './lib/entry.js'

export type ClusterSubjectId = 'cluster' | 'single'
export const CLUSTER_LABELS: Record<ClusterSubjectId, string> = { cluster: 'two nodes on Redis', single: 'one node on Redis' }
/** The node ids (app.json `node_id`) of each subject; the cluster's sockets are spread evenly over its nodes. */
export const NODE_IDS: Record<ClusterSubjectId, readonly string[]> = { cluster: ['node-1', 'node-2'], single: ['single'] }

export interface ClusterFanOutResults {
  subjects: Record<ClusterSubjectId, SubjectResult>
  /** node-1's config (every node's differs in node_id only; the single node's in its prefix too). */
  appJson: Record<string, unknown> | undefined
  cacheJson: Record<string, unknown> | undefined
  /** The machine's cores, which both nodes, the client and redis-server share. */
  cpuCount: number
}

/** A subject's nodes all up, on Redis under a prefix of their own; broadcasts go to the first. */
async function startNodes(
  id: ClusterSubjectId,
  o: FanOutOptions,
  redis: { url: string; port: number; pid: number },
): Promise<LiveSubject & { targets: MswooleTarget[] }> {
  const nodeIds = NODE_IDS[id]
  const count = nodeIds.length
  const perNode = Math.ceil(o.connections / count)
  const cache = { driver: 'redis', url: redis.url, prefix: `bench-${randomBytes(4).toString('hex')}:` }
  const settled = await Promise.allSettled(
    nodeIds.map((nodeId, i) => startMswoole({ tokens: perNode, firstUserId: 1 + i * perNode, setting: MSWOOLE_SETTING, nodeId, cache })),
  )
  const targets = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []))
  const triggers: MswooleTrigger[] = []
  const stop = async () => {
    await Promise.allSettled(targets.map((t) => t.stop()))
  }
  try {
    const failed = settled.find((s) => s.status === 'rejected')
    if (failed !== undefined) throw failed.reason
    for (const t of targets) triggers.push(await mswooleTrigger(t.socket))
    await waitForPeers(triggers[0]!, count - 1)
    const nodes: ServerNode[] = targets.map((t, i) => ({ label: nodeIds[i]!, pid: t.pid, port: t.port, trigger: triggers[i]! }))
    return {
      id,
      label: CLUSTER_LABELS[id],
      command: `${redisCommand(redis.port)}; ${targets.map((t, i) => `${t.command(['start'])} (${nodeIds[i]})`).join('; ')}`,
      // Socket i goes to node i mod count, with that node's next token.
      url: (i) => targets[i % count]!.url(Math.floor(i / count)),
      protocol: 'ws',
      nodes,
      sidePids: [redis.pid],
      targets,
      stop,
    }
  } catch (err) {
    for (const t of triggers) t.close()
    await stop()
    throw err
  }
}

/** Until a broadcast from the first node is published to every other node (they subscribe as they start), at most 10 s. */
async function waitForPeers(first: MswooleTrigger, peers: number): Promise<void> {
  const deadline = performance.now() + 10_000
  for (;;) {
    const { nodes } = await first.send({ sentAt: 0 })
    if (nodes >= peers) return
    if (performance.now() > deadline) throw new Error(`the first node publishes broadcasts to ${nodes} other node(s), not ${peers}`)
    await sleep(200)
  }
}

/** One redis-server for both subjects (each under a prefix of its own), and both measured side by side. */
export async function measureClusterFanOut(o: FanOutOptions, log: (m: string) => void = () => undefined): Promise<ClusterFanOutResults> {
  const redis = await startRedisServer()
  const forget = stopOnInterrupt(() => redis.stop())
  try {
    const ids: ClusterSubjectId[] = ['single', 'cluster']
    const { started, results } = await startAndMeasure(
      ids.map((id) => () => startNodes(id, o, redis)),
      o,
      log,
    )
    const result = (id: ClusterSubjectId) => results.find((r) => r.id === id)!
    const first = started.find((s) => s.id === 'cluster')?.targets[0]
    return {
      subjects: { cluster: result('cluster'), single: result('single') },
      appJson: first?.appJson,
      cacheJson: first?.cacheJson,
      cpuCount: os.cpus().length,
    }
  } finally {
    forget()
    await redis.stop()
  }
}
