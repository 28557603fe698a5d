import { describe, expect, it } from 'vitest'
import type { ConnectionsListResult, RoomsListResult } from '../../src/contracts/control-api.js'
import { cli, cliJson, useSharedDaemon } from '../helpers/cli.js'
import type { TestClient } from '../helpers/client.js'
import { useOpenedClients } from '../helpers/opened-clients.js'
import { poll } from '../helpers/poll.js'

describe('mswoole rooms', () => {
  // One daemon for every test: each uses rooms of its own and closes what it opened. The tests
  // that read the whole list first wait until the daemon holds no room (what others opened is gone).
  const daemon = useSharedDaemon()

  const open = useOpenedClients(() => daemon().status.outside.port)
  const member = (id: number, code: string): Promise<TestClient> => open({ id, type: 'wechatUser', code })

  async function rooms(args: string[] = []): Promise<RoomsListResult> {
    const { exitCode, json, stderr } = await cliJson<RoomsListResult>(daemon().project, ['rooms', ...args])
    expect(exitCode, stderr).toBe(0)
    return json
  }

  async function noRooms(): Promise<void> {
    const result = await poll(
      () => rooms(),
      (r) => r.total === 0,
    )
    expect(result).toMatchObject({ total: 0, offset: 0, rooms: [] })
  }

  it('says so when there are no rooms', async () => {
    const { project: p } = daemon()
    await noRooms()
    const result = await cli(p, ['rooms'])
    expect(result.exitCode).toBe(0)
    expect(result.stdout.trim()).toBe('no rooms')
    expect(await rooms()).toMatchObject({ total: 0, offset: 0, rooms: [] })
  })

  it('lists each code room with its member count, and the count drops as members go', async () => {
    const { project: p } = daemon()
    await noRooms()
    const clients = await Promise.all([member(201, 'rm2-roomA'), member(202, 'rm2-roomA'), member(203, 'rm2-roomB')])
    expect((await rooms()).rooms).toEqual([
      { name: 'rm2-roomA', members: 2 },
      { name: 'rm2-roomB', members: 1 },
    ])
    expect((await cli(p, ['rooms'])).stdout).toBe('NAME        MEMBERS\nrm2-roomA   2\nrm2-roomB   1')

    // Kicks close two members from the server's side; once their clients see the close, the rooms have changed.
    // The uids are this test's own, so finding them in the whole list finds its members.
    const fds = (await cliJson<ConnectionsListResult>(p, ['conn', 'ls'])).json.connections
    for (const uid of [201, 203]) expect((await cli(p, ['kick', String(fds.find((c) => c.id === uid)?.fd)])).exitCode).toBe(0)
    await Promise.all([clients[0].closed(), clients[2].closed()])
    expect((await rooms()).rooms).toEqual([{ name: 'rm2-roomA', members: 1 }])
  })

  it('filters by --prefix and pages with --limit and --offset', async () => {
    const { project: p } = daemon()
    const codes = ['rm3-live-1', 'rm3-live-2', 'rm3-live-3', 'rm3-quiz-1']
    await Promise.all(codes.map((code, i) => member(301 + i, code)))
    const live = await rooms(['--prefix', 'rm3-live-'])
    expect(live.total).toBe(3)
    expect(live.rooms.map((r) => r.name)).toEqual(['rm3-live-1', 'rm3-live-2', 'rm3-live-3'])
    const page = await rooms(['--prefix', 'rm3-live-', '--limit', '2', '--offset', '1'])
    expect(page).toMatchObject({ total: 3, offset: 1, limit: 2 })
    expect(page.rooms.map((r) => r.name)).toEqual(['rm3-live-2', 'rm3-live-3'])
    // This test's rooms, all four of them, one to a page.
    const human = await cli(p, ['rooms', '--prefix', 'rm3-', '--limit', '1', '-o', 'wide'])
    expect(human.stdout).toContain('1 of 4 rooms')
  })
})
