import Table from 'cli-table3'
import type { ConnectionInfo, Page, RoomInfo, WorkerStatus } from '../ipc/methods.js'

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
  // Colour only for a terminal: piped output stays plain text.
  const table = new Table({ head, style: { head: process.stdout.isTTY ? ['cyan'] : [], border: [] } })
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

/** How long ago an ISO timestamp was, as people read it: "3m 2s ago". */
export function formatAgo(iso: string, now = Date.now()): string {
  const then = Date.parse(iso)
  if (Number.isNaN(then)) return '-'
  return `${formatDuration(Math.max(0, (now - then) / 1000))} ago`
}

/** "1 connection", "3 connections". */
export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`
}

/**
 * A page of a listing for people: the table, then "2 of 5 connections" when
 * the page does not hold every match; "no connections" when nothing matched.
 */
export function pagedListing<T>(page: Page, items: T[], noun: string, table: (items: T[]) => string): string {
  if (items.length === 0) return page.total === 0 ? `no ${noun}s` : `no ${noun}s from offset ${page.offset} (${page.total} in all)`
  if (items.length === page.total) return table(items)
  const from = page.offset > 0 ? ` (from offset ${page.offset})` : ''
  return `${table(items)}\n${items.length} of ${plural(page.total, noun)}${from}`
}

/**
 * `conn ls`: one row per connection; "room" is the token's code. A listing
 * that spans nodes names each connection by its connection id.
 */
export function connectionsTable(connections: ConnectionInfo[], now = Date.now()): string {
  const spansNodes = connections.some((c) => c.node !== connections[0]?.node)
  return listTable(
    [spansNodes ? 'connection' : 'fd', 'uid', 'type', 'nickname', 'room', 'ip', 'connected', 'last active', 'in/out'],
    connections.map((c) => [
      spansNodes ? c.cid : c.fd,
      c.id ?? '-',
      c.type ?? '-',
      c.nickname || '-',
      c.code || '-',
      c.ip,
      formatAgo(c.connectedAt, now),
      c.lastActiveAt === null ? '-' : formatAgo(c.lastActiveAt, now),
      c.messagesIn === null ? '-' : `${c.messagesIn}/${c.messagesOut}`,
    ]),
  )
}

/** `rooms`: name and member count, in the daemon's order. */
export function roomsTable(rooms: RoomInfo[]): string {
  return listTable(
    ['name', 'members'],
    rooms.map((r) => [r.name, r.members]),
  )
}
