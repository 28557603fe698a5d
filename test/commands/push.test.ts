import { describe, expect, it } from 'vitest'
import type { ConnectionsListResult, DeliveryResult } from '../../src/ipc/methods.js'
import { cli, cliJson, startDaemon, useProjects } from '../helpers/cli.js'
import { mintToken, TestClient } from '../helpers/client.js'

const project = useProjects()

async function connectAs(port: number, id: number | string): Promise<TestClient> {
  return TestClient.connect(`ws://127.0.0.1:${port}/?auth=${await mintToken({ id, type: 'wechatUser', code: 'roomA' })}`)
}

describe('mswoole push', () => {
  it('sends to one connection by fd', async () => {
    const p = await project()
    const { outside } = await startDaemon(p)
    const [ann, bob] = await Promise.all([connectAs(outside.port, 7), connectAs(outside.port, 8)])
    const annFd = (await cliJson<ConnectionsListResult>(p, ['conn', 'ls', '--uid', '7'])).json.connections[0]?.fd
    const result = await cli(p, ['push', '--fd', String(annFd), 'just for you'])
    expect(result.exitCode, result.stderr).toBe(0)
    expect(result.stdout.trim()).toBe('pushed to 1 connection')
    expect(await ann.next('serverPush')).toEqual({ status: 200, event: 'serverPush', info: 'just for you' })
    // Bob's next push is the second one: the first never reached him.
    const bobFd = (await cliJson<ConnectionsListResult>(p, ['conn', 'ls', '--uid', '8'])).json.connections[0]?.fd
    expect((await cli(p, ['push', '--fd', String(bobFd), 'for bob'])).exitCode).toBe(0)
    expect((await bob.next('serverPush')).info).toBe('for bob')
    ann.close()
    bob.close()
  })

  it('sends to every connection of a uid, with --event, --status and --param', async () => {
    const p = await project()
    const { outside } = await startDaemon(p)
    const [phone, laptop, other] = await Promise.all([connectAs(outside.port, 'u-42'), connectAs(outside.port, 'u-42'), connectAs(outside.port, 'u-43')])
    const { exitCode, json } = await cliJson<DeliveryResult>(p, ['push', '--uid', 'u-42', '--event', 'prize', '--status', '201', '--param', '{"prize":"mug"}', 'you won'])
    expect(exitCode).toBe(0)
    expect(json).toEqual({ delivered: 2, nodes: 0 })
    for (const c of [phone, laptop]) expect(await c.next('prize')).toEqual({ status: 201, event: 'prize', info: 'you won', param: { prize: 'mug' } })
    const human = await cli(p, ['push', '--uid', 'u-43', 'hi'])
    expect(human.stdout.trim()).toBe('pushed to 1 connection')
    // The first envelope u-43 sees is its own: the prize went only to u-42.
    expect(JSON.parse(await firstEnvelope(other))).toMatchObject({ event: 'serverPush', info: 'hi' })
    for (const c of [phone, laptop, other]) c.close()
  })

  it('fails with the daemon\'s error for an unknown fd or uid', async () => {
    const p = await project()
    await startDaemon(p)
    for (const target of [['--fd', '9999'], ['--uid', 'nobody']]) {
      const human = await cli(p, ['push', ...target, 'hello?'])
      expect(human.exitCode).toBe(1)
      expect(human.stderr).toMatch(/^Error: .*\[MSW_ERR_CONN_NOT_FOUND\]$/)
      const machine = await cliJson<{ error: { code: string } }>(p, ['push', ...target, 'hello?'])
      expect(machine.exitCode).toBe(1)
      expect(machine.json.error.code).toBe('MSW_ERR_CONN_NOT_FOUND')
    }
  })

  it('needs exactly one of --fd and --uid, and a message or --param', async () => {
    const p = await project()
    await startDaemon(p)
    for (const args of [['hi'], ['--fd', '1', '--uid', '1', 'hi']]) {
      const result = await cli(p, ['push', ...args])
      expect(result.exitCode).toBe(2)
      expect(result.stderr.trim()).toMatch(/^Error: (Exactly one of the following must be provided: --fd, --uid|--fd cannot also be provided when using --uid)/)
    }
    const bad = await cli(p, ['push', '--fd', '1', '--param', 'not json'])
    expect(bad.exitCode).toBe(1)
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
