import { describe, expect, it } from 'vitest'
import type { ConnectionsListResult } from '../../src/contracts/control-api.js'
import { cli, cliJson, startDaemon, useProjects, useSharedDaemon } from '../helpers/cli.js'
import { mintToken, TestClient, type TokenFields } from '../helpers/client.js'
import { useOpenedClients } from '../helpers/opened-clients.js'
import { poll } from '../helpers/poll.js'
import type { Project } from '../helpers/project.js'

const project = useProjects()

async function open(port: number, fields: TokenFields, headers: Record<string, string> = {}): Promise<TestClient> {
  return TestClient.connect(`ws://127.0.0.1:${port}/?auth=${await mintToken(fields)}`, { headers })
}

async function list(p: Project, args: string[] = []): Promise<ConnectionsListResult> {
  const { exitCode, json, stderr } = await cliJson<ConnectionsListResult>(p, ['conn', 'ls', ...args])
  expect(exitCode, stderr).toBe(0)
  return json
}

const uids = (result: ConnectionsListResult) => result.connections.map((c) => c.id).sort()

describe('mswoole conn ls', () => {
  // One daemon of the default configuration for the tests below: each uses uids and rooms of its
  // own and closes what it opened. The test that reads the whole list first waits until the
  // daemon holds no connection (what others opened is gone).
  const daemon = useSharedDaemon()

  const openHere = useOpenedClients(() => daemon().status.outside.port)

  it('prints every connection with its token fields as JSON', async () => {
    const { project: p } = daemon()
    await openHere({ id: 107, type: 'wechatUser', code: 'ls1-roomA', nickname: 'Ann' })
    const result = await list(p, ['--uid', '107'])
    expect(result).toMatchObject({ total: 1, offset: 0, limit: 100 })
    expect(result.connections).toHaveLength(1)
    const [entry] = result.connections
    expect(entry).toMatchObject({ id: 107, type: 'wechatUser', code: 'ls1-roomA', nickname: 'Ann', ip: '127.0.0.1', messagesIn: 0 })
    expect(entry?.fd).toBeGreaterThan(0)
    expect(entry?.rooms).toContain('ls1-roomA')
    for (const at of [entry?.connectedAt, entry?.lastActiveAt]) expect(Number.isNaN(Date.parse(at ?? ''))).toBe(false)
    expect(entry?.messagesOut).toBeGreaterThanOrEqual(0)
  })

  it('shows a table for people, and says so when there is nobody', async () => {
    const { project: p } = daemon()
    expect(
      await poll(
        async () => (await list(p)).total,
        (total) => total === 0,
      ),
    ).toBe(0)
    const empty = await cli(p, ['conn', 'ls'])
    expect(empty.exitCode).toBe(0)
    expect(empty.stdout.trim()).toBe('no connections')

    await openHere({ id: 207, type: 'wechatUser', code: 'ls2-roomA', nickname: 'Ann' })
    const fd = (await list(p, ['--uid', '207'])).connections[0]?.fd
    // A narrow COLUMNS bounds a pipe's table too; -o wide lifts it.
    const narrow = { env: { COLUMNS: '60' } }
    const wide = await cli(p, ['conn', 'ls', '-o', 'wide'], narrow)
    expect(wide.exitCode).toBe(0)
    const [head, ...rows] = wide.stdout.trimEnd().split('\n')
    expect(head?.split(/ {3,}/)).toEqual(['FD', 'UID', 'TYPE', 'NICKNAME', 'ROOM', 'IP', 'CONNECTED', 'LAST ACTIVE', 'IN/OUT'])
    const row = rows.find((line) => line.includes('Ann'))
    expect(row?.split(/ {3,}/)).toEqual([
      String(fd),
      '207',
      'wechatUser',
      'Ann',
      'ls2-roomA',
      '127.0.0.1',
      expect.stringMatching(/ ago$/),
      expect.stringMatching(/ ago$/),
      expect.stringMatching(/^\d+\/\d+$/),
    ])
    // One page holds everyone: no paging line.
    expect(wide.stdout).not.toMatch(/of \d+ connections/)

    const fitted = await cli(p, ['conn', 'ls'], narrow)
    expect(fitted.exitCode).toBe(0)
    const lines = fitted.stdout.trimEnd().split('\n')
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(60)
    // The least useful columns went first.
    expect(lines[0]?.split(/ {3,}/)).toEqual(['FD', 'UID', 'TYPE', 'ROOM', 'IP', 'CONNECTED'])
  })

  it('pages with --limit and --offset', async () => {
    const { project: p } = daemon()
    await Promise.all([401, 402, 403].map((id) => openHere({ id, type: 'wechatUser', code: 'ls4-roomA' })))
    const mine = ['--room', 'ls4-roomA']
    const first = await list(p, [...mine, '--limit', '2'])
    expect(first).toMatchObject({ total: 3, offset: 0, limit: 2 })
    expect(first.connections).toHaveLength(2)
    const rest = await list(p, [...mine, '--limit', '2', '--offset', '2'])
    expect(rest).toMatchObject({ total: 3, offset: 2, limit: 2 })
    expect(rest.connections).toHaveLength(1)
    const fds = [...first.connections, ...rest.connections].map((c) => c.fd)
    expect(new Set(fds).size).toBe(3)

    const human = await cli(p, ['conn', 'ls', ...mine, '--limit', '2'])
    expect(human.stdout).toContain('2 of 3 connections')
    const bad = await cli(p, ['conn', 'ls', '--limit', '0'])
    expect(bad.exitCode).toBe(2)
    expect(bad.stderr.trim().split('\n')).toHaveLength(1)
  })
})

describe('mswoole conn ls, behind a trusted proxy', () => {
  it('filters by room, type, uid and ip', async () => {
    // Its own daemon: it trusts X-Real-IP from 127.0.0.1, which the others must not.
    const p = await project({ outside: { trusted_proxies: ['127.0.0.1'] } })
    const { outside } = await startDaemon(p)
    const clients = [
      await open(outside.port, { id: 1, type: 'wechatUser', code: 'roomA' }, { 'X-Real-IP': '203.0.113.1' }),
      await open(outside.port, { id: 2, type: 'wechatUser', code: 'roomB' }, { 'X-Real-IP': '203.0.113.2' }),
      await open(outside.port, { id: 3, type: 'wall', code: 'roomA' }, { 'X-Real-IP': '203.0.113.2' }),
      await open(outside.port, { id: 1, type: 'wechatUser', code: 'roomB' }, { 'X-Real-IP': '203.0.113.3' }),
    ]
    expect(uids(await list(p, ['--room', 'roomA']))).toEqual([1, 3])
    expect(uids(await list(p, ['--type', 'wall']))).toEqual([3])
    const byUid = await list(p, ['--uid', '1'])
    expect(byUid.connections.map((c) => c.code).sort()).toEqual(['roomA', 'roomB'])
    expect(uids(await list(p, ['--ip', '203.0.113.2']))).toEqual([2, 3])
    // Filters combine.
    expect(uids(await list(p, ['--ip', '203.0.113.2', '--room', 'roomB']))).toEqual([2])
    const none = await list(p, ['--uid', '99'])
    expect(none).toMatchObject({ total: 0, connections: [] })
    for (const c of clients) c.close()
  })
})

describe('mswoole conn ls, without a daemon', () => {
  it('exits 3 when the daemon is not running', async () => {
    const result = await cliJson<{ error: { code: string } }>(await project(), ['conn', 'ls'])
    expect(result.exitCode).toBe(3)
    expect(result.json.error.code).toBe('MSW_ERR_NOT_RUNNING')
    expect(result.stderr).toMatch(/^Error: .* \[MSW_ERR_NOT_RUNNING\]$/)
  })
})
