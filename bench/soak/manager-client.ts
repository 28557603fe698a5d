/**
 * The daemon's manager port as a backend calls it: plain HTTP on loopback (the soak's daemon
 * runs with an empty manager key, which mswoole allows on a loopback host only). One call is
 * far cheaper than a CLI process, so broadcasts and status samples go this way.
 */
import type { DeliveryResult, StatusResult } from '../../src/contracts/control-api.js'
import { isLoopbackHost } from '../../src/config/loopback.js'

const CALL_TIMEOUT_MS = 15_000

export interface ManagerClient {
  readonly base: string
  status(): Promise<StatusResult>
  broadcast(body: { room: string; event: string; info?: string; param?: unknown }): Promise<DeliveryResult>
  /** The Prometheus text of /metrics. */
  metrics(): Promise<string>
}

export function managerClient(host: string, port: number): ManagerClient {
  if (!isLoopbackHost(host)) throw new Error(`soak: the manager port must be on loopback, got ${host}`)
  const base = `http://${host}:${port}`
  const call = async (path: string, init: RequestInit = {}): Promise<Response> => {
    const res = await fetch(`${base}${path}`, { ...init, signal: AbortSignal.timeout(CALL_TIMEOUT_MS) })
    if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${path}: HTTP ${res.status} ${(await res.text()).slice(0, 200)}`)
    return res
  }
  return {
    base,
    status: async () => (await (await call('/api/status')).json()) as StatusResult,
    broadcast: async (body) =>
      (await (
        await call('/api/broadcast', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
      ).json()) as DeliveryResult,
    metrics: async () => (await call('/metrics')).text(),
  }
}

/** A counter or gauge of the Prometheus text (no labels), undefined when absent. */
export function metricValue(text: string, name: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `))
  const value = line === undefined ? Number.NaN : Number(line.slice(name.length + 1).trim())
  return Number.isFinite(value) ? value : undefined
}
