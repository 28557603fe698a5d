import { describe, expect, it } from 'vitest'
import type { Layout } from '../../src/cli/columns.js'
import { connectionsTable, pagedListing, roomsTable, workersTable } from '../../src/cli/format.js'
import { statusView } from '../../src/cli/status-view.js'
import type { ConnectionInfo, StatusResult, WorkerStatus } from '../../src/contracts/control-api.js'

/** Every table as an operator sees it in an 80-column terminal, from fixed data. */
const AT_80: Layout = { width: 80, wide: false }
const WIDE: Layout = { width: 80, wide: true }
const NOW = Date.parse('2026-12-06T10:00:00Z')
const ago = (seconds: number) => new Date(NOW - seconds * 1000).toISOString()

const WORKERS: WorkerStatus[] = [
  { id: 0, pid: 4242, threadId: 1, generation: 1, handled: 1834, inFlight: 0, memory: 9_663_676 },
  { id: 1, pid: 4242, threadId: 2, generation: 1, handled: 1790, inFlight: 2, memory: 0 },
]

const STATUS: StatusResult = {
  running: true,
  state: 'running',
  pid: 4242,
  version: '0.1.0',
  nodeId: 'node-a',
  node: 'node-a',
  startedAt: ago(3723),
  uptime: 3723,
  outside: { host: '0.0.0.0', port: 9501 },
  manager: { host: '127.0.0.1', port: 9502 },
  connections: 3,
  generation: 1,
  workers: WORKERS,
  reloads: [],
  memory: { rss: 64_225_280, heapUsed: 12_897_484, heapTotal: 20_000_000, external: 1_000_000 },
  configDir: '/srv/chat/config',
  logFile: '/srv/chat/runtime/logs/mswoole.log',
  socket: '/srv/chat/runtime/mswoole.sock',
  cluster: {
    store: 'memory',
    state: 'ok',
    nodes: ['node-a'],
    members: [{ node: 'node-a', version: '0.1.0', startedAt: ago(3723), generation: 1, connections: 3 }],
  },
}

function connection(fd: number, fields: Partial<ConnectionInfo>): ConnectionInfo {
  return {
    fd,
    node: 'node-a',
    cid: `node-a:${fd}`,
    id: null,
    type: null,
    code: '',
    nickname: null,
    ip: '127.0.0.1',
    rooms: [],
    connectedAt: ago(125),
    lastActiveAt: ago(4),
    messagesIn: 0,
    messagesOut: 0,
    ...fields,
  }
}

const CONNECTIONS: ConnectionInfo[] = [
  connection(1, { id: 107, type: 'wechatUser', code: 'spring-live', nickname: 'Ann', ip: '203.0.113.17', messagesIn: 12, messagesOut: 40 }),
  connection(2, { id: 108, type: 'wechatUser', code: 'spring-live', nickname: '张三', ip: '203.0.113.18', messagesIn: 3, messagesOut: 38 }),
  connection(3, { id: 9001, type: 'wall', code: 'spring-live', ip: '198.51.100.250', connectedAt: ago(7260), messagesIn: 0 }),
]

describe('tables at 80 columns', () => {
  it('status: key: value lines, a blank line, the workers', () => {
    expect(statusView(STATUS, AT_80)).toMatchInlineSnapshot(`
      "state:        running
      pid:          4242
      uptime:       1h 2m
      version:      0.1.0
      node id:      node-a
      cluster:      memory (one node)
      outside:      0.0.0.0:9501
      manager:      127.0.0.1:9502
      connections:  3
      workers:      2 (generation 1)
      memory:       61.3 MiB rss, 12.3 MiB heap
      log file:     /srv/chat/runtime/logs/mswoole.log

      WORKER   THREAD   GENERATION   HANDLED   IN FLIGHT   MEMORY
      0        1        1            1834      0           9.2 MiB
      1        2        1            1790      2           -"
    `)
  })

  it("reload's workers table", () => {
    expect(workersTable(WORKERS, AT_80)).toMatchInlineSnapshot(`
      "WORKER   THREAD   GENERATION   HANDLED   IN FLIGHT   MEMORY
      0        1        1            1834      0           9.2 MiB
      1        2        1            1790      2           -"
    `)
  })

  it('conn ls drops the least useful columns to fit, and -o wide shows them all', () => {
    const fitted = connectionsTable(CONNECTIONS, AT_80, NOW)
    expect(fitted).toMatchInlineSnapshot(`
      "FD   UID    TYPE         NICKNAME   ROOM          IP               CONNECTED
      1    107    wechatUser   Ann        spring-live   203.0.113.17     2m 5s ago
      2    108    wechatUser   张三       spring-live   203.0.113.18     2m 5s ago
      3    9001   wall         -          spring-live   198.51.100.250   2h 1m ago"
    `)
    for (const line of fitted.split('\n')) expect(line.length).toBeLessThanOrEqual(80)
    expect(connectionsTable(CONNECTIONS, WIDE, NOW)).toMatchInlineSnapshot(`
      "FD   UID    TYPE         NICKNAME   ROOM          IP               CONNECTED   LAST ACTIVE   IN/OUT
      1    107    wechatUser   Ann        spring-live   203.0.113.17     2m 5s ago   4s ago        12/40
      2    108    wechatUser   张三       spring-live   203.0.113.18     2m 5s ago   4s ago        3/38
      3    9001   wall         -          spring-live   198.51.100.250   2h 1m ago   4s ago        0/0"
    `)
  })

  it('conn ls across nodes names connections by their id', () => {
    const across = [
      connection(1, { id: 1, node: 'web-1', cid: 'web-1:1' }),
      connection(1, { id: 2, node: 'web-2', cid: 'web-2:1', lastActiveAt: null, messagesIn: null, messagesOut: null }),
    ]
    expect(connectionsTable(across, AT_80, NOW)).toMatchInlineSnapshot(`
      "CONNECTION   UID   TYPE   NICKNAME   ROOM   IP          CONNECTED   LAST ACTIVE
      web-1:1      1     -      -          -      127.0.0.1   2m 5s ago   4s ago
      web-2:1      2     -      -          -      127.0.0.1   2m 5s ago   -"
    `)
  })

  it('rooms, with the paging line', () => {
    const rooms = [
      { name: 'spring-live', members: 3 },
      { name: 'user:107', members: 1 },
    ]
    expect(pagedListing({ total: 5, offset: 0, limit: 2 }, rooms, 'room', (items) => roomsTable(items, AT_80))).toMatchInlineSnapshot(`
      "NAME          MEMBERS
      spring-live   3
      user:107      1
      2 of 5 rooms"
    `)
  })
})
