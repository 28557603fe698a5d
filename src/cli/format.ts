import type { ConnectionInfo, Page, RoomInfo, WorkerStatus } from '../contracts/control-api.js'
import { type Column, keyValueLines, type Layout, renderColumns } from './columns.js'
import { layoutFor } from './output-flag.js'

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

/** `key: value` lines for one object, such as what `start` reports. */
export function keyValueTable(rows: Array<[string, string | number]>): string {
  return keyValueLines(rows)
}

/** The layout for a command without `-o`: fit the terminal. */
function fitted(): Layout {
  return layoutFor(undefined)
}

const WORKER_COLUMNS: Column<WorkerStatus>[] = [
  { header: 'worker', cell: (w) => w.id },
  { header: 'thread', cell: (w) => w.threadId, keep: 10 },
  { header: 'generation', cell: (w) => w.generation, keep: 30 },
  { header: 'handled', cell: (w) => w.handled, keep: 40 },
  { header: 'in flight', cell: (w) => w.inFlight, keep: 50 },
  { header: 'memory', cell: (w) => (w.memory > 0 ? formatBytes(w.memory) : '-'), keep: 20 },
]

/** The workers of `status` and `reload`: threads of the daemon's pid; memory shows once a worker has reported it. */
export function workersTable(workers: WorkerStatus[], layout: Layout = fitted()): string {
  return renderColumns(WORKER_COLUMNS, workers, layout)
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
 * that spans nodes names each connection by its connection id. On a narrow
 * terminal the activity columns go first, then the nickname.
 */
export function connectionsTable(connections: ConnectionInfo[], layout: Layout = fitted(), now = Date.now()): string {
  const spansNodes = connections.some((c) => c.node !== connections[0]?.node)
  const columns: Column<ConnectionInfo>[] = [
    spansNodes ? { header: 'connection', cell: (c) => c.cid } : { header: 'fd', cell: (c) => c.fd },
    { header: 'uid', cell: (c) => c.id ?? '-', shrink: true },
    { header: 'type', cell: (c) => c.type ?? '-', keep: 70, shrink: true },
    { header: 'nickname', cell: (c) => c.nickname || '-', keep: 40, shrink: true },
    { header: 'room', cell: (c) => c.code || '-', keep: 80, shrink: true },
    { header: 'ip', cell: (c) => c.ip, keep: 60 },
    { header: 'connected', cell: (c) => formatAgo(c.connectedAt, now), keep: 50 },
    { header: 'last active', cell: (c) => (c.lastActiveAt === null ? '-' : formatAgo(c.lastActiveAt, now)), keep: 30 },
    { header: 'in/out', cell: (c) => (c.messagesIn === null ? '-' : `${c.messagesIn}/${c.messagesOut}`), keep: 20 },
  ]
  return renderColumns(columns, connections, layout)
}

const ROOM_COLUMNS: Column<RoomInfo>[] = [
  { header: 'name', cell: (r) => r.name, shrink: true },
  { header: 'members', cell: (r) => r.members },
]

/** `rooms`: name and member count, in the daemon's order. */
export function roomsTable(rooms: RoomInfo[], layout: Layout = fitted()): string {
  return renderColumns(ROOM_COLUMNS, rooms, layout)
}

interface PresenceRow {
  room: string
  uid: string
  connections: number
}

const PRESENCE_COLUMNS: Column<PresenceRow>[] = [
  { header: 'room', cell: (r) => r.room, shrink: true },
  { header: 'uid', cell: (r) => r.uid, shrink: true },
  { header: 'connections', cell: (r) => r.connections },
]

/**
 * `rooms --presence`: one row per uid of each room, with its connections
 * there, in the daemon's order; the room's anonymous connections (no uid)
 * last, as uid "-".
 */
export function roomPresenceTable(rooms: RoomInfo[], layout: Layout = fitted()): string {
  const rows: PresenceRow[] = []
  for (const room of rooms) {
    for (const { uid, connections } of room.uids ?? []) rows.push({ room: room.name, uid, connections })
    if ((room.anonymous ?? 0) > 0) rows.push({ room: room.name, uid: '-', connections: room.anonymous ?? 0 })
  }
  return renderColumns(PRESENCE_COLUMNS, rows, layout)
}
