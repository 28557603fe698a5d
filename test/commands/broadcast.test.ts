import { describe, expect, it } from 'vitest'
import type { ConnectionsListResult, DeliveryResult } from '../../src/contracts/control-api.js'
import { cli, cliJson, useSharedDaemon } from '../helpers/cli.js'
import type { TestClient, Envelope } from '../helpers/client.js'
import { useOpenedClients } from '../helpers/opened-clients.js'
import { poll } from '../helpers/poll.js'
import type { Project } from '../helpers/project.js'

/** The first of these events to reach the client: what it got before a later marker, or the marker itself. */
async function firstOf(client: TestClient, events: string[]): Promise<Envelope> {
  for (;;) {
    const envelope = JSON.parse(await client.nextFrame()) as Envelope
    if (events.includes(envelope.event)) return envelope
  }
}

/** Sends a marker to everyone; a client that sees it first got nothing before it. */
async function sawNothingBefore(p: Project, clients: TestClient[]): Promise<void> {
  expect((await cli(p, ['broadcast', '--all', '--event', 'marker', 'end'])).exitCode).toBe(0)
  for (const client of clients) expect((await firstOf(client, ['serverBroadcast', 'marker'])).event).toBe('marker')
}

describe('mswoole broadcast', () => {
  // One daemon for every test: each uses rooms of its own and closes what it opened.
  // The one test that counts everyone first waits until the daemon holds no connection.
  const daemon = useSharedDaemon()

  const open = useOpenedClients(() => daemon().status.outside.port)
  const join = (id: number, code: string): Promise<TestClient> => open({ id, type: 'wechatUser', code })

  it('reaches the members of a room and nobody else', async () => {
    const { project: p } = daemon()
    const [a1, a2, b] = await Promise.all([join(101, 'bc1-roomA'), join(102, 'bc1-roomA'), join(103, 'bc1-roomB')])
    const result = await cli(p, ['broadcast', '--room', 'bc1-roomA', 'hello room A'])
    expect(result.exitCode, result.stderr).toBe(0)
    expect(result.stdout.trim()).toBe('broadcast to 2 connections (room bc1-roomA)')
    for (const member of [a1, a2])
      expect(await member.next('serverBroadcast')).toEqual({ status: 200, event: 'serverBroadcast', info: 'hello room A' })
    await sawNothingBefore(p, [b])
  })

  it('reaches everyone with --all', async () => {
    const { project: p } = daemon()
    // Everyone is only this test's clients: what other tests opened is gone from the daemon.
    const before = await poll(
      async () => (await cliJson<ConnectionsListResult>(p, ['conn', 'ls'])).json.total,
      (total) => total === 0,
    )
    expect(before).toBe(0)
    const clients = await Promise.all([join(201, 'bc2-roomA'), join(202, 'bc2-roomB'), join(203, 'bc2-roomC')])
    const { exitCode, json } = await cliJson<DeliveryResult>(p, ['broadcast', '--all', 'to everyone'])
    expect(exitCode).toBe(0)
    expect(json).toEqual({ delivered: 3, nodes: 0 })
    for (const c of clients) expect((await c.next('serverBroadcast')).info).toBe('to everyone')
    const human = await cli(p, ['broadcast', '--all', 'again'])
    expect(human.stdout.trim()).toBe('broadcast to 3 connections (all)')
  })

  it('skips the fds given with --except', async () => {
    const { project: p } = daemon()
    const [a1, a2, a3] = await Promise.all([join(301, 'bc3-roomA'), join(302, 'bc3-roomA'), join(303, 'bc3-roomA')])
    const listed = (await cliJson<ConnectionsListResult>(p, ['conn', 'ls', '--room', 'bc3-roomA'])).json.connections
    expect(listed).toHaveLength(3)
    const fdOf = (uid: number) => String(listed.find((c) => c.id === uid)?.fd)
    const result = await cliJson<DeliveryResult>(p, [
      'broadcast',
      '--room',
      'bc3-roomA',
      '--except',
      `${fdOf(301)},${fdOf(303)}`,
      'not for 1 and 3',
    ])
    expect(result.json).toEqual({ delivered: 1, nodes: 0 })
    expect((await a2.next('serverBroadcast')).info).toBe('not for 1 and 3')
    await sawNothingBefore(p, [a1, a3])
  })

  it('sends --param as JSON, with the given event and status', async () => {
    const { project: p } = daemon()
    const a = await join(401, 'bc4-roomA')
    const param = { winner: 42, names: ['Ann', 'Bob'], nested: { ok: true } }
    const result = await cli(p, [
      'broadcast',
      '--room',
      'bc4-roomA',
      '--event',
      'lottery',
      '--status',
      '201',
      '--param',
      JSON.stringify(param),
      'we have a winner',
    ])
    expect(result.exitCode, result.stderr).toBe(0)
    expect(await a.next('lottery')).toEqual({ status: 201, event: 'lottery', info: 'we have a winner', param })
    // --param alone is enough: info is then empty.
    expect((await cli(p, ['broadcast', '--room', 'bc4-roomA', '--param', '[1,2]'])).exitCode).toBe(0)
    expect(await a.next('serverBroadcast')).toEqual({ status: 200, event: 'serverBroadcast', info: '', param: [1, 2] })
  })

  it('says on stderr that a room with no connection got nothing, and still exits 0', async () => {
    const { project: p } = daemon()
    const { exitCode, json, stderr } = await cliJson<DeliveryResult>(p, ['broadcast', '--room', 'bc5-nobody-here', 'anyone?'])
    expect(exitCode).toBe(0)
    expect(json).toEqual({ delivered: 0, nodes: 0 })
    expect(stderr.trim()).toBe('Warning: room bc5-nobody-here has no connection: the message reached nobody')
  })

  it('fails with one line and exit 2 on bad --param JSON, or with no message at all', async () => {
    const { project: p } = daemon()
    const bad = await cli(p, ['broadcast', '--room', 'roomA', '--param', '{winner: 42}', 'hi'])
    expect(bad.exitCode).toBe(2)
    expect(bad.stderr).toMatch(/^Error: --param is not valid JSON: .* \[MSW_ERR_INVALID_ARGUMENT\]$/)
    const badJson = await cliJson<{ error: { code: string } }>(p, ['broadcast', '--room', 'roomA', '--param', '{'])
    expect(badJson.exitCode).toBe(2)
    expect(badJson.json.error.code).toBe('MSW_ERR_INVALID_ARGUMENT')
    const empty = await cli(p, ['broadcast', '--room', 'roomA'])
    expect(empty.exitCode).toBe(2)
    expect(empty.stderr).toBe('Error: give a message, --param <json>, or both [MSW_ERR_INVALID_ARGUMENT]')
  })

  it('needs exactly one of --room and --all', async () => {
    const { project: p } = daemon()
    for (const args of [['hi'], ['--room', 'roomA', '--all', 'hi']]) {
      const result = await cli(p, ['broadcast', ...args])
      expect(result.exitCode).toBe(2)
      expect(result.stderr.trim().split('\n')).toHaveLength(1)
      expect(result.stderr.trim()).toMatch(
        /^Error: (Exactly one of the following must be provided: --all, --room|--room cannot also be provided when using --all|--all cannot also be provided when using --room)/,
      )
    }
  })
})
