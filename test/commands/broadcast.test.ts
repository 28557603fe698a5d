import { describe, expect, it } from 'vitest'
import type { ConnectionsListResult, DeliveryResult } from '../../src/ipc/methods.js'
import { cli, cliJson, startDaemon, useProjects } from '../helpers/cli.js'
import { mintToken, TestClient, type Envelope } from '../helpers/client.js'

const project = useProjects()

async function join(port: number, id: number, code: string): Promise<TestClient> {
  return TestClient.connect(`ws://127.0.0.1:${port}/?auth=${await mintToken({ id, type: 'wechatUser', code })}`)
}

/** The first of these events to reach the client: what it got before a later marker, or the marker itself. */
async function firstOf(client: TestClient, events: string[]): Promise<Envelope> {
  for (;;) {
    const envelope = JSON.parse(await client.nextFrame()) as Envelope
    if (events.includes(envelope.event)) return envelope
  }
}

/** Sends a marker to everyone; a client that sees it first got nothing before it. */
async function sawNothingBefore(p: Awaited<ReturnType<typeof project>>, clients: TestClient[]): Promise<void> {
  expect((await cli(p, ['broadcast', '--all', '--event', 'marker', 'end'])).exitCode).toBe(0)
  for (const client of clients) expect((await firstOf(client, ['serverBroadcast', 'marker'])).event).toBe('marker')
}

describe('mswoole broadcast', () => {
  it('reaches the members of a room and nobody else', async () => {
    const p = await project()
    const { outside } = await startDaemon(p)
    const [a1, a2, b] = await Promise.all([join(outside.port, 1, 'roomA'), join(outside.port, 2, 'roomA'), join(outside.port, 3, 'roomB')])
    const result = await cli(p, ['broadcast', '--room', 'roomA', 'hello room A'])
    expect(result.exitCode, result.stderr).toBe(0)
    expect(result.stdout.trim()).toBe('broadcast to 2 connections (room roomA)')
    for (const member of [a1, a2]) expect(await member.next('serverBroadcast')).toEqual({ status: 200, event: 'serverBroadcast', info: 'hello room A' })
    await sawNothingBefore(p, [b])
    for (const c of [a1, a2, b]) c.close()
  })

  it('reaches everyone with --all', async () => {
    const p = await project()
    const { outside } = await startDaemon(p)
    const clients = await Promise.all([join(outside.port, 1, 'roomA'), join(outside.port, 2, 'roomB'), join(outside.port, 3, 'roomC')])
    const { exitCode, json } = await cliJson<DeliveryResult>(p, ['broadcast', '--all', 'to everyone'])
    expect(exitCode).toBe(0)
    expect(json).toEqual({ delivered: 3, nodes: 0 })
    for (const c of clients) expect((await c.next('serverBroadcast')).info).toBe('to everyone')
    const human = await cli(p, ['broadcast', '--all', 'again'])
    expect(human.stdout.trim()).toBe('broadcast to 3 connections (all)')
    for (const c of clients) c.close()
  })

  it('skips the fds given with --except', async () => {
    const p = await project()
    const { outside } = await startDaemon(p)
    const [a1, a2, a3] = await Promise.all([join(outside.port, 1, 'roomA'), join(outside.port, 2, 'roomA'), join(outside.port, 3, 'roomA')])
    const listed = (await cliJson<ConnectionsListResult>(p, ['conn', 'ls'])).json.connections
    const fdOf = (uid: number) => String(listed.find((c) => c.id === uid)?.fd)
    const result = await cliJson<DeliveryResult>(p, ['broadcast', '--room', 'roomA', '--except', `${fdOf(1)},${fdOf(3)}`, 'not for 1 and 3'])
    expect(result.json).toEqual({ delivered: 1, nodes: 0 })
    expect((await a2.next('serverBroadcast')).info).toBe('not for 1 and 3')
    await sawNothingBefore(p, [a1, a3])
    for (const c of [a1, a2, a3]) c.close()
  })

  it('sends --param as JSON, with the given event and status', async () => {
    const p = await project()
    const { outside } = await startDaemon(p)
    const a = await join(outside.port, 1, 'roomA')
    const param = { winner: 42, names: ['Ann', 'Bob'], nested: { ok: true } }
    const result = await cli(p, ['broadcast', '--room', 'roomA', '--event', 'lottery', '--status', '201', '--param', JSON.stringify(param), 'we have a winner'])
    expect(result.exitCode, result.stderr).toBe(0)
    expect(await a.next('lottery')).toEqual({ status: 201, event: 'lottery', info: 'we have a winner', param })
    // --param alone is enough: info is then empty.
    expect((await cli(p, ['broadcast', '--room', 'roomA', '--param', '[1,2]'])).exitCode).toBe(0)
    expect(await a.next('serverBroadcast')).toEqual({ status: 200, event: 'serverBroadcast', info: '', param: [1, 2] })
    a.close()
  })

  it('fails with one line on bad --param JSON, or with no message at all', async () => {
    const p = await project()
    await startDaemon(p)
    const bad = await cli(p, ['broadcast', '--room', 'roomA', '--param', '{winner: 42}', 'hi'])
    expect(bad.exitCode).toBe(1)
    expect(bad.stderr).toMatch(/^Error: --param is not valid JSON: .* \[MSW_ERR_INVALID_ARGUMENT\]$/)
    const badJson = await cliJson<{ error: { code: string } }>(p, ['broadcast', '--room', 'roomA', '--param', '{'])
    expect(badJson.exitCode).toBe(1)
    expect(badJson.json.error.code).toBe('MSW_ERR_INVALID_ARGUMENT')
    const empty = await cli(p, ['broadcast', '--room', 'roomA'])
    expect(empty.exitCode).toBe(1)
    expect(empty.stderr).toBe('Error: give a message, --param <json>, or both [MSW_ERR_INVALID_ARGUMENT]')
  })

  it('needs exactly one of --room and --all', async () => {
    const p = await project()
    await startDaemon(p)
    for (const args of [['hi'], ['--room', 'roomA', '--all', 'hi']]) {
      const result = await cli(p, ['broadcast', ...args])
      expect(result.exitCode).toBe(2)
      expect(result.stderr.trim().split('\n')).toHaveLength(1)
      expect(result.stderr.trim()).toMatch(/^Error: (Exactly one of the following must be provided: --all, --room|--room cannot also be provided when using --all|--all cannot also be provided when using --room)/)
    }
  })
})
