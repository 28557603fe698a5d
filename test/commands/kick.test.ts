import { describe, expect, it } from 'vitest'
import type { ConnectionsListResult, KickResult } from '../../src/contracts/control-api.js'
import { cli, cliJson, useProjects, useSharedDaemon } from '../helpers/cli.js'
import { useOpenedClients } from '../helpers/opened-clients.js'

const project = useProjects()

describe('mswoole kick', () => {
  // One daemon for the tests below: each works with uids and a room of its own, and closes what it opened.
  const daemon = useSharedDaemon()

  const open = useOpenedClients(() => daemon().status.outside.port)

  async function fdOf(uid: number): Promise<number> {
    const listed = await cliJson<ConnectionsListResult>(daemon().project, ['conn', 'ls', '--uid', String(uid)])
    expect(listed.json.total).toBe(1)
    return listed.json.connections[0]?.fd ?? 0
  }

  it('closes the connection with the code and reason, and it leaves the list', async () => {
    const { project: p } = daemon()
    const ann = await open({ id: 107, type: 'wechatUser', code: 'kick-room-1', nickname: 'Ann' })
    await open({ id: 108, type: 'wechatUser', code: 'kick-room-1', nickname: 'Bob' })
    const fd = await fdOf(107)

    const result = await cli(p, ['kick', String(fd), '--reason', 'spam', '--code', '4001'])
    expect(result.exitCode, result.stderr).toBe(0)
    expect(result.stdout.trim()).toBe(`kicked fd ${fd} (4001, spam)`)
    expect(await ann.closed()).toEqual({ code: 4001, reason: 'spam' })

    // Everyone in the room, as the daemon lists them now.
    const after = await cliJson<ConnectionsListResult>(p, ['conn', 'ls', '--room', 'kick-room-1'])
    expect(after.json.connections.map((c) => c.id)).toEqual([108])
  })

  it('sends 4000 "kicked" by default and answers --json with the result', async () => {
    const { project: p } = daemon()
    const ann = await open({ id: 207, type: 'wall', code: 'kick-room-2' })
    const listed = (await cliJson<ConnectionsListResult>(p, ['conn', 'ls', '--uid', '207'])).json.connections
    expect(listed).toHaveLength(1)
    const fd = listed[0]?.fd ?? 0
    const { exitCode, json } = await cliJson<KickResult>(p, ['kick', String(fd)])
    expect(exitCode).toBe(0)
    expect(json).toEqual({ fd, node: listed[0]?.node, cid: `${listed[0]?.node}:${fd}`, code: 4000, reason: 'kicked' })
    expect(await ann.closed()).toEqual({ code: 4000, reason: 'kicked' })
  })

  it('fails with MSW_ERR_CONN_NOT_FOUND for an fd nobody has', async () => {
    const { project: p } = daemon()
    const human = await cli(p, ['kick', '9999'])
    expect(human.exitCode).toBe(1)
    expect(human.stderr).toMatch(/^Error: .*\[MSW_ERR_CONN_NOT_FOUND\]$/)
    const machine = await cliJson<{ error: { code: string; message: string } }>(p, ['kick', '9999'])
    expect(machine.exitCode).toBe(1)
    expect(machine.json.error.code).toBe('MSW_ERR_CONN_NOT_FOUND')
    expect(machine.json.error.message).toContain('9999')
  })

  it('takes its own connection id, and finds no connection of another node on one node', async () => {
    const { project: p, status } = daemon()
    const { nodeId } = status
    const ann = await open({ id: 407, type: 'wall', code: 'kick-room-4' })
    const fd = await fdOf(407)
    const elsewhere = await cliJson<{ error: { code: string } }>(p, ['kick', `other-node:${fd}`])
    expect(elsewhere.exitCode).toBe(1)
    expect(elsewhere.json.error.code).toBe('MSW_ERR_CONN_NOT_FOUND')
    const { exitCode, json } = await cliJson<KickResult>(p, ['kick', `${nodeId}:${fd}`])
    expect(exitCode).toBe(0)
    expect(json).toMatchObject({ fd, node: nodeId, cid: `${nodeId}:${fd}` })
    expect(await ann.closed()).toEqual({ code: 4000, reason: 'kicked' })
  })
})

describe('mswoole kick, without a daemon', () => {
  it('refuses what is neither an fd nor a connection id without asking the daemon', async () => {
    // No daemon runs here: a bad argument must fail before the control socket is tried.
    // Every form the parser refuses is in test/cli/connection-ref.test.ts; these show the command uses it.
    // A close code out of range is refused the same way: test/cli/usage.test.ts.
    const p = await project()
    for (const fd of ['abc', 'node:0']) {
      const result = await cliJson<{ error: { code: string } }>(p, ['kick', fd])
      expect(result.exitCode).toBe(2)
      expect(result.json.error.code).toBe('MSW_ERR_INVALID_ARGUMENT')
      expect(result.stderr).toBe(`Error: expected an fd or a connection id "<node>:<fd>", got "${fd}" [MSW_ERR_INVALID_ARGUMENT]`)
    }
  })
})
