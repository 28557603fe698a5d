import { describe, expect, it } from 'vitest'
import type { ConnectionsListResult, DeliveryResult } from '../../src/contracts/control-api.js'
import { cli, cliJson, useSharedDaemon } from '../helpers/cli.js'
import type { TestClient } from '../helpers/client.js'
import { useOpenedClients } from '../helpers/opened-clients.js'

describe('mswoole push', () => {
  // One daemon for every test: each pushes to uids of its own, and closes what it opened.
  const daemon = useSharedDaemon()

  const open = useOpenedClients(() => daemon().status.outside.port)
  const connectAs = (id: number | string): Promise<TestClient> => open({ id, type: 'wechatUser', code: 'push-room' })

  async function fdOf(uid: number): Promise<number | undefined> {
    const listed = (await cliJson<ConnectionsListResult>(daemon().project, ['conn', 'ls', '--uid', String(uid)])).json.connections
    expect(listed).toHaveLength(1)
    return listed[0]?.fd
  }

  it('sends to one connection by fd', async () => {
    const { project: p } = daemon()
    const [ann, bob] = await Promise.all([connectAs(107), connectAs(108)])
    const annFd = await fdOf(107)
    const result = await cli(p, ['push', '--fd', String(annFd), 'just for you'])
    expect(result.exitCode, result.stderr).toBe(0)
    expect(result.stdout.trim()).toBe('pushed to 1 connection')
    expect(await ann.next('serverPush')).toEqual({ status: 200, event: 'serverPush', info: 'just for you' })
    // Bob's next push is the second one: the first never reached him.
    const bobFd = await fdOf(108)
    expect((await cli(p, ['push', '--fd', String(bobFd), 'for bob'])).exitCode).toBe(0)
    expect((await bob.next('serverPush')).info).toBe('for bob')
  })

  it('sends to every connection of a uid, with --event, --status and --param', async () => {
    const { project: p } = daemon()
    const [phone, laptop, other] = await Promise.all([connectAs('u-42'), connectAs('u-42'), connectAs('u-43')])
    const { exitCode, json } = await cliJson<DeliveryResult>(p, [
      'push',
      '--uid',
      'u-42',
      '--event',
      'prize',
      '--status',
      '201',
      '--param',
      '{"prize":"mug"}',
      'you won',
    ])
    expect(exitCode).toBe(0)
    expect(json).toEqual({ delivered: 2, nodes: 0 })
    for (const c of [phone, laptop])
      expect(await c.next('prize')).toEqual({ status: 201, event: 'prize', info: 'you won', param: { prize: 'mug' } })
    const human = await cli(p, ['push', '--uid', 'u-43', 'hi'])
    expect(human.stdout.trim()).toBe('pushed to 1 connection')
    // The first envelope u-43 sees is its own: the prize went only to u-42.
    expect(JSON.parse(await firstEnvelope(other))).toMatchObject({ event: 'serverPush', info: 'hi' })
  })

  it("fails with the daemon's error for an unknown fd or uid", async () => {
    const { project: p } = daemon()
    for (const target of [
      ['--fd', '9999'],
      ['--uid', 'nobody'],
    ]) {
      const human = await cli(p, ['push', ...target, 'hello?'])
      expect(human.exitCode).toBe(1)
      expect(human.stderr).toMatch(/^Error: .*\[MSW_ERR_CONN_NOT_FOUND\]$/)
      const machine = await cliJson<{ error: { code: string } }>(p, ['push', ...target, 'hello?'])
      expect(machine.exitCode).toBe(1)
      expect(machine.json.error.code).toBe('MSW_ERR_CONN_NOT_FOUND')
    }
  })

  it('needs exactly one of --fd and --uid, and a message or --param', async () => {
    const { project: p } = daemon()
    for (const args of [['hi'], ['--fd', '1', '--uid', '1', 'hi']]) {
      const result = await cli(p, ['push', ...args])
      expect(result.exitCode).toBe(2)
      expect(result.stderr.trim()).toMatch(
        /^Error: (Exactly one of the following must be provided: --fd, --uid|--fd cannot also be provided when using --uid)/,
      )
    }
    const bad = await cli(p, ['push', '--fd', '1', '--param', 'not json'])
    expect(bad.exitCode).toBe(2)
    expect(bad.stderr).toMatch(/^Error: --param is not valid JSON: .*\[MSW_ERR_INVALID_ARGUMENT\]$/)
    expect((await cli(p, ['push', '--fd', '1'])).stderr).toContain('give a message, --param <json>, or both')
  })
})

/** The first envelope a client receives that is not an acknowledgement. */
async function firstEnvelope(client: TestClient): Promise<string> {
  for (;;) {
    const frame = await client.nextFrame()
    if (!frame.includes('"receiveMessage"')) return frame
  }
}
