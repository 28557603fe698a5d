import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client'
import type { DaemonStats } from '../stats.js'

export interface MetricsSources {
  stats: DaemonStats
  /** Open client connections now. */
  connections(): number
  /** Rooms with at least one member now. */
  rooms(): number
}

type StatName = { [K in keyof DaemonStats]: DaemonStats[K] extends number ? K : never }[keyof DaemonStats]

/** Each counter and the DaemonStats total it shows. */
const COUNTERS: ReadonlyArray<readonly [name: string, help: string, stat: StatName]> = [
  ['mswoole_connections_opened_total', 'Client connections accepted', 'connectionsOpened'],
  ['mswoole_connections_closed_total', 'Client connections closed, for any reason', 'connectionsClosed'],
  ['mswoole_messages_in_total', 'Frames received from clients', 'messagesIn'],
  ['mswoole_messages_out_total', 'Frames written to clients', 'messagesOut'],
  ['mswoole_bytes_in_total', 'Bytes of the frames received from clients', 'bytesIn'],
  ['mswoole_bytes_out_total', 'Bytes of the frames written to clients', 'bytesOut'],
  [
    'mswoole_slow_clients_dropped_total',
    'Clients cut because they stopped reading (output buffer over setting.max_buffered_bytes)',
    'slowClientsDropped',
  ],
  ['mswoole_broadcasts_total', 'Broadcasts asked for through the control API', 'broadcasts'],
  ['mswoole_pushes_total', 'Pushes asked for through the control API', 'pushes'],
  ['mswoole_kicks_total', 'Connections kicked through the control API', 'kicks'],
  ['mswoole_reloads_total', 'Worker reloads', 'reloads'],
  ['mswoole_worker_restarts_total', 'Workers replaced after they died or were ended by the watchdog', 'workerRestarts'],
]

/**
 * A Prometheus registry of its own (never prom-client's global one) whose values
 * are read from the daemon's plain counters at scrape time, so the hot paths
 * only ever do `++`. Process metrics and event-loop lag come from prom-client.
 */
export function createMetricsRegistry(sources: MetricsSources): Registry {
  const register = new Registry()
  new Gauge({
    name: 'mswoole_connections',
    help: 'Open client connections',
    registers: [register],
    collect() {
      this.set(sources.connections())
    },
  })
  new Gauge({
    name: 'mswoole_rooms',
    help: 'Rooms with at least one member',
    registers: [register],
    collect() {
      this.set(sources.rooms())
    },
  })
  for (const [name, help, stat] of COUNTERS) {
    new Counter({
      name,
      help,
      registers: [register],
      collect() {
        this.reset()
        this.inc(sources.stats[stat])
      },
    })
  }
  collectDefaultMetrics({ register })
  return register
}
