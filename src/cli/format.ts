import Table from 'cli-table3'
import type { WorkerStatus } from '../ipc/methods.js'

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB']
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`
}

export function formatDuration(seconds: number): string {
  const d = Math.floor(seconds / 86400)
  const h = Math.floor((seconds % 86400) / 3600)
  const m = Math.floor((seconds % 3600) / 60)
  const s = Math.floor(seconds % 60)
  if (d > 0) return `${d}d ${h}h`
  if (h > 0) return `${h}h ${m}m`
  if (m > 0) return `${m}m ${s}s`
  return `${s}s`
}

/** A two-column table of labelled values, for single-object output such as status. */
export function keyValueTable(rows: Array<[string, string | number]>): string {
  const table = new Table({ style: { head: [], border: [] } })
  for (const [key, value] of rows) table.push({ [key]: String(value) })
  return table.toString()
}

export function listTable(head: string[], rows: Array<Array<string | number>>): string {
  const table = new Table({ head, style: { head: ['cyan'], border: [] } })
  for (const row of rows) table.push(row.map(String))
  return table.toString()
}

/** The workers of `status` and `reload`: threads of the daemon's pid; memory shows once a worker has reported it. */
export function workersTable(workers: WorkerStatus[]): string {
  return listTable(
    ['worker', 'thread', 'generation', 'handled', 'in flight', 'memory'],
    workers.map((w) => [w.id, w.threadId, w.generation, w.handled, w.inFlight, w.memory > 0 ? formatBytes(w.memory) : '-']),
  )
}
