import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { randomBytes } from 'node:crypto'
import { makeProject, type AppJson, type Project } from './project.js'

/** One node of a test cluster: its own project folder, sharing Redis and a prefix with the others. */
export interface ClusterNode extends Project {
  nodeId: string
}

export interface ClusterOptions {
  redisUrl: string
  /** How many nodes; their ids are node-1, node-2, … */
  nodes: number
  /** app.json for every node (merged as makeProject merges it). */
  app?: AppJson
  /** The store prefix; a fresh one per cluster by default, so clusters sharing one Redis never meet. */
  prefix?: string
}

/** Project folders for a cluster on one Redis: cache.json names the Redis store, app.json a node id. */
export async function makeClusterProjects(options: ClusterOptions): Promise<ClusterNode[]> {
  const prefix = options.prefix ?? `t${randomBytes(4).toString('hex')}:`
  const nodes: ClusterNode[] = []
  for (let i = 1; i <= options.nodes; i++) {
    const nodeId = `node-${i}`
    const project = await makeProject({ ...options.app, node_id: nodeId })
    await writeClusterCache(project, options.redisUrl, prefix)
    nodes.push({ ...project, nodeId })
  }
  return nodes
}

export async function writeClusterCache(project: Project, redisUrl: string, prefix: string): Promise<void> {
  await writeFile(path.join(project.configDir, 'cache.json'), JSON.stringify({ driver: 'redis', url: redisUrl, prefix }, null, 2))
}
