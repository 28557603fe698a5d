import { hostname } from 'node:os'

/** What a node's heartbeat key holds: which process holds the node id. */
export interface HeartbeatValue {
  /** Random per start, so a node knows its own heartbeat from a former self's or a namesake's. */
  instance: string
  pid: number
  host: string
}

export function heartbeatValue(instance: string): string {
  const value: HeartbeatValue = { instance, pid: process.pid, host: hostname() }
  return JSON.stringify(value)
}

export function parseHeartbeat(text: string | null): HeartbeatValue | undefined {
  if (text === null) return undefined
  try {
    const value = JSON.parse(text) as Partial<HeartbeatValue>
    return typeof value.instance === 'string' && typeof value.pid === 'number' && typeof value.host === 'string'
      ? (value as HeartbeatValue)
      : undefined
  } catch {
    return undefined
  }
}
