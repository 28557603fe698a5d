import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { startDaemon, useProjects } from '../../helpers/cli.js'
import { mintToken, TestClient } from '../../helpers/client.js'
import { SAMPLE_APP } from '../../helpers/project.js'

const project = useProjects()
const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..')

/** What a stack trace or a file path looks like in a frame. */
const LEAK = /\bat .+[(:]\d+|\.m?[jt]s\b|node:|file:|\/(?:src|dist|app|tmp|home|work|usr)\//

function expectNoInternals(frame: string, projectRoot: string): void {
  expect(frame).not.toMatch(LEAK)
  for (const dir of [REPO, SAMPLE_APP, projectRoot]) expect(frame).not.toContain(dir)
}

describe('no internals reach a client', () => {
  it('answers a throwing controller, bad frames and unknown methods with plain envelopes only', async () => {
    const p = await project({ setting: { ack: false, max_message_size: 1024 } })
    const { outside } = await startDaemon(p)
    const token = await mintToken({ id: 1, type: 'wechatUser', code: 'room1' })
    const c = await TestClient.connect(`ws://127.0.0.1:${outside.port}/?auth=${token}`)

    const cases: Array<[string, { status: number; event: string }]> = [
      [JSON.stringify({ method: 'index.index.fail' }), { status: 500, event: 'controllerError' }],
      ['{not json', { status: 400, event: 'badRequest' }],
      ['"a string"', { status: 400, event: 'badRequest' }],
      ['[{"method":"echo"}]', { status: 400, event: 'badRequest' }],
      ['null', { status: 400, event: 'badRequest' }],
      ['{"method":{"a":1}}', { status: 400, event: 'badRequest' }],
      [JSON.stringify({ method: 'nope.nope.nope' }), { status: 404, event: 'controllerNotFound' }],
      [JSON.stringify({ method: '../../../etc/passwd' }), { status: 404, event: 'controllerNotFound' }],
      [JSON.stringify({ method: 'index.index.nope' }), { status: 405, event: 'methodNotFound' }],
      [JSON.stringify({ method: 'index.index._helper' }), { status: 404, event: 'controllerNotFound' }],
    ]
    for (const [frame, expected] of cases) {
      c.send(frame)
      const reply = await c.nextFrame()
      expect(JSON.parse(reply), frame).toMatchObject(expected)
      expect(Object.keys(JSON.parse(reply)).sort(), frame).toEqual(['event', 'info', 'status'])
      expectNoInternals(reply, p.root)
    }
    // The error's own message ("fail was called") stays in the log too.
    expect(await c.ask({ method: 'index.index.fail' }, 'controllerError')).toEqual({
      status: 500,
      event: 'controllerError',
      info: '程序错误',
    })

    // Over max_message_size: a 413 envelope, then close 1009, and neither says more.
    c.send({ method: 'echo', blob: 'x'.repeat(4096) })
    const tooLarge = await c.nextFrame()
    expect(JSON.parse(tooLarge)).toMatchObject({ status: 413, event: 'messageTooLarge' })
    expectNoInternals(tooLarge, p.root)
    const closed = await c.closed()
    expect(closed.code).toBe(1009)
    expectNoInternals(closed.reason, p.root)
  })
})
