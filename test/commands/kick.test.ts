import { describe, expect, it } from 'vitest'
import type { ConnectionsListResult, KickResult } from '../../src/ipc/methods.js'
import { cli, cliJson, startDaemon, useProjects } from '../helpers/cli.js'
import { mintToken, TestClient } from '../helpers/client.js'

const project = useProjects()

describe('mswoole kick', () => {
  it('closes the connection with the code and reason, and it leaves the list', async () => {
    const p = await project()
    const { outside } = await startDaemon(p)
    const ann = await TestClient.connect(`ws://127.0.0.1:${outside.port}/?auth=${await mintToken({ id: 7, type: 'wechatUser', code: 'roomA', nickname: 'Ann' })}`)
    const bob = await TestClient.connect(`ws://127.0.0.1:${outside.port}/?auth=${await mintToken({ id: 8, type: 'wechatUser', code: 'roomA', nickname: 'Bob' })}`)
    const listed = await cliJson<ConnectionsListResult>(p, ['conn', 'ls', '--uid', '7'])
    const fd = listed.json.connections[0]?.fd ?? 0

    const result = await cli(p, ['kick', String(fd), '--reason', 'spam', '--code', '4001'])
    expect(result.exitCode, result.stderr).toBe(0)
    expect(result.stdout.trim()).toBe(`kicked fd ${fd} (4001, spam)`)
    expect(await ann.closed()).toEqual({ code: 4001, reason: 'spam' })

    const after = await cliJson<ConnectionsListResult>(p, ['conn', 'ls'])
    expect(after.json.connections.map((c) => c.id)).toEqual([8])
    bob.close()
  })

  it('sends 4000 "kicked" by default and answers --json with the result', async () => {
    const p = await project()
    const { outside } = await startDaemon(p)
    const ann = await TestClient.connect(`ws://127.0.0.1:${outside.port}/?auth=${await mintToken({ id: 7, type: 'wall', code: 'roomA' })}`)
    const listed = (await cliJson<ConnectionsListResult>(p, ['conn', 'ls'])).json.connections[0]
    const fd = listed?.fd ?? 0
    const { exitCode, json } = await cliJson<KickResult>(p, ['kick', String(fd)])
    expect(exitCode).toBe(0)
    expect(json).toEqual({ fd, node: listed?.node, cid: `${listed?.node}:${fd}`, code: 4000, reason: 'kicked' })
    expect(await ann.closed()).toEqual({ code: 4000, reason: 'kicked' })
  })

  it('fails with MSW_ERR_CONN_NOT_FOUND for an fd nobody has', async () => {
    const p = await project()
    await startDaemon(p)
    const human = await cli(p, ['kick', '9999'])
    expect(human.exitCode).toBe(1)
    expect(human.stderr).toMatch(/^Error: .*\[MSW_ERR_CONN_NOT_FOUND\]$/)
    const machine = await cliJson<{ error: { code: string; message: string } }>(p, ['kick', '9999'])
    expect(machine.exitCode).toBe(1)
    expect(machine.json.error.code).toBe('MSW_ERR_CONN_NOT_FOUND')
    expect(machine.json.error.message).toContain('9999')
  })

  it('takes its own connection id, and finds no connection of another node on one node', async () => {
    const p = await project()
    const { outside, nodeId } = await startDaemon(p)
    const ann = await TestClient.connect(`ws://127.0.0.1:${outside.port}/?auth=${await mintToken({ id: 7, type: 'wall', code: 'roomA' })}`)
    const fd = (await cliJson<ConnectionsListResult>(p, ['conn', 'ls'])).json.connections[0]?.fd ?? 0
    const elsewhere = await cliJson<{ error: { code: string } }>(p, ['kick', `other-node:${fd}`])
    expect(elsewhere.exitCode).toBe(1)
    expect(elsewhere.json.error.code).toBe('MSW_ERR_CONN_NOT_FOUND')
    const { exitCode, json } = await cliJson<KickResult>(p, ['kick', `${nodeId}:${fd}`])
    expect(exitCode).toBe(0)
    expect(json).toMatchObject({ fd, node: nodeId, cid: `${nodeId}:${fd}` })
    expect(await ann.closed()).toEqual({ code: 4000, reason: 'kicked' })
  })

  it('refuses what is neither an fd nor a connection id without asking the daemon', async () => {
    // No daemon runs here: a bad argument must fail before the control socket is tried.
    const p = await project()
    for (const fd of ['abc', '0', '1.5', '12x', 'node:0', ':3', 'a b:3']) {
      const result = await cliJson<{ error: { code: string } }>(p, ['kick', fd])
      expect(result.exitCode).toBe(1)
      expect(result.json.error.code).toBe('MSW_ERR_INVALID_ARGUMENT')
      expect(result.stderr).toBe(`Error: expected an fd or a connection id "<node>:<fd>", got "${fd}" [MSW_ERR_INVALID_ARGUMENT]`)
    }
  })

  it('refuses a close code outside 1000 and 3000–4999', async () => {
    const p = await project()
    const { outside } = await startDaemon(p)
    const ann = await TestClient.connect(`ws://127.0.0.1:${outside.port}/?auth=${await mintToken({ id: 7, type: 'wall', code: 'roomA' })}`)
    const fd = (await cliJson<ConnectionsListResult>(p, ['conn', 'ls'])).json.connections[0]?.fd ?? 0
    const result = await cli(p, ['kick', String(fd), '--code', '1001'])
    expect(result.exitCode).toBe(1)
    expect(result.stderr).toMatch(/^Error: .*1000 or 3000–4999.*$/)
    expect((await cliJson<ConnectionsListResult>(p, ['conn', 'ls'])).json.total).toBe(1)
    ann.close()
  })
})
