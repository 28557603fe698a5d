import { stripVTControlCharacters } from 'node:util'
import { describe, expect, it } from 'vitest'
import type { ConnectionsListResult, RoomsListResult } from '../../src/ipc/methods.js'
import { cli, cliJson, startDaemon, useProjects } from '../helpers/cli.js'
import { mintToken, TestClient } from '../helpers/client.js'

const project = useProjects()

async function member(port: number, id: number, code: string): Promise<TestClient> {
  return TestClient.connect(`ws://127.0.0.1:${port}/?auth=${await mintToken({ id, type: 'wechatUser', code })}`)
}

async function rooms(p: Awaited<ReturnType<typeof project>>, args: string[] = []): Promise<RoomsListResult> {
  const { exitCode, json, stderr } = await cliJson<RoomsListResult>(p, ['rooms', ...args])
  expect(exitCode, stderr).toBe(0)
  return json
}

describe('mswoole rooms', () => {
  it('says so when there are no rooms', async () => {
    const p = await project()
    await startDaemon(p)
    const result = await cli(p, ['rooms'])
    expect(result.exitCode).toBe(0)
    expect(result.stdout.trim()).toBe('no rooms')
    expect(await rooms(p)).toMatchObject({ total: 0, offset: 0, rooms: [] })
  })

  it('lists each code room with its member count, and the count drops as members go', async () => {
    const p = await project()
    const { outside } = await startDaemon(p)
    const clients = await Promise.all([member(outside.port, 1, 'roomA'), member(outside.port, 2, 'roomA'), member(outside.port, 3, 'roomB')])
    expect((await rooms(p)).rooms).toEqual([
      { name: 'roomA', members: 2 },
      { name: 'roomB', members: 1 },
    ])
    const table = stripVTControlCharacters((await cli(p, ['rooms'])).stdout)
    expect(table).toMatch(/│ name\s+│ members │/)
    expect(table).toMatch(/│ roomA\s+│ 2\s+│/)
    expect(table).toMatch(/│ roomB\s+│ 1\s+│/)

    // Kicks close two members from the server's side; once their clients see the close, the rooms have changed.
    const fds = (await cliJson<ConnectionsListResult>(p, ['conn', 'ls'])).json.connections
    for (const uid of [1, 3]) expect((await cli(p, ['kick', String(fds.find((c) => c.id === uid)?.fd)])).exitCode).toBe(0)
    await Promise.all([clients[0]!.closed(), clients[2]!.closed()])
    expect((await rooms(p)).rooms).toEqual([{ name: 'roomA', members: 1 }])
    for (const c of clients) c.close()
  })

  it('filters by --prefix and pages with --limit and --offset', async () => {
    const p = await project()
    const { outside } = await startDaemon(p)
    const clients = await Promise.all(['live-1', 'live-2', 'live-3', 'quiz-1'].map((code, i) => member(outside.port, i + 1, code)))
    const live = await rooms(p, ['--prefix', 'live-'])
    expect(live.total).toBe(3)
    expect(live.rooms.map((r) => r.name)).toEqual(['live-1', 'live-2', 'live-3'])
    const page = await rooms(p, ['--prefix', 'live-', '--limit', '2', '--offset', '1'])
    expect(page).toMatchObject({ total: 3, offset: 1, limit: 2 })
    expect(page.rooms.map((r) => r.name)).toEqual(['live-2', 'live-3'])
    const human = await cli(p, ['rooms', '--limit', '1'])
    expect(human.stdout).toContain('1 of 4 rooms')
    for (const c of clients) c.close()
  })
})
