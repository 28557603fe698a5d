import { describe, expect, it } from 'vitest'
import { startDaemon, useProjects } from '../helpers/cli.js'
import { mintToken, TestClient, type Envelope } from '../helpers/client.js'
import { internalsIn } from '../helpers/leaks.js'
import { poll } from '../helpers/poll.js'
import { readLogLines, SAMPLE_APP } from '../helpers/project.js'

/**
 * What a WebSocket client can make the server say: every frame it gets back for
 * bad input, unknown or reserved methods and a throwing controller is a plain
 * envelope, without a stack, a path or a source location. The stack goes to the
 * daemon's log, where operators read it.
 */

const project = useProjects()

/** Each input and the envelope that ends its answer (an ack may come first). */
const INPUTS: Array<[string, { status: number; event: string }]> = [
  ['{not json', { status: 400, event: 'badRequest' }],
  ['[1,2,{"method":"index.index.fail"}]', { status: 400, event: 'badRequest' }],
  ['{"method": 5}', { status: 400, event: 'badRequest' }],
  ['{"method":"index.index.fail"}', { status: 500, event: 'controllerError' }],
  ['{"method":"nope.nope.nope"}', { status: 404, event: 'controllerNotFound' }],
  ['{"method":"index.index.__proto__"}', { status: 400, event: 'badRequest' }],
  ['{"method":"index.index.constructor"}', { status: 400, event: 'badRequest' }],
  // Names that exist on every object, and the controller's hooks: none is an action.
  ['{"method":"index.index.toString"}', { status: 405, event: 'methodNotFound' }],
  ['{"method":"index.index.hasOwnProperty"}', { status: 405, event: 'methodNotFound' }],
  // `_`-names are never routed (private helpers), so this one is not even looked up.
  ['{"method":"index.index.__defineGetter__"}', { status: 404, event: 'controllerNotFound' }],
  ['{"method":"index.index.onClose"}', { status: 405, event: 'methodNotFound' }],
  ['{"method":"INDEX.Index.FAIL"}', { status: 500, event: 'controllerError' }],
]

describe('what a client sees', () => {
  it('is never a stack or an internal path, for bad input, reserved names or a throwing controller; the log has the stack', async () => {
    // The TypeScript sources, not the suite's JavaScript build of them: the log's stack names the .ts file.
    const p = await project({ app: SAMPLE_APP, setting: { worker_num: 1 } })
    const { outside } = await startDaemon(p)
    const token = await mintToken({ id: 1, type: 'wechatUser', code: 'room1' })
    const client = await TestClient.connect(`ws://127.0.0.1:${outside.port}/?auth=${token}`)

    const seen: string[] = []
    const answerTo = async (input: string): Promise<Envelope> => {
      client.send(input)
      // Acks first (at most one per message), then the answer.
      for (let i = 0; i < 3; i++) {
        const frame = await client.nextFrame()
        seen.push(frame)
        const envelope = JSON.parse(frame) as Envelope
        if (envelope.event !== 'receiveMessage') return envelope
      }
      throw new Error(`no answer to ${input} after 3 frames: ${seen.slice(-3).join(' | ')}`)
    }

    for (const [input, expected] of INPUTS) {
      const envelope = await answerTo(input)
      expect(envelope, input).toMatchObject(expected)
      expect(Object.keys(envelope).sort(), input).toEqual(['event', 'info', 'status'])
    }
    // Messages of one connection are answered in order: once this one is back, nothing else is owed.
    expect(await answerTo('{"method":"index.index.index"}')).toMatchObject({ status: 200, event: 'success' })

    expect(seen.length).toBeGreaterThanOrEqual(INPUTS.length + 1)
    for (const frame of seen) {
      expect(internalsIn(frame, [p.root, SAMPLE_APP]), frame).toEqual([])
      expect(frame).not.toContain('    at ')
      // Not even the message of what the controller threw.
      expect(frame).not.toContain('fail was called')
    }
    client.close()
    await client.closed()

    // The operators' log has it all: the error, its message and a stack into the controller.
    const lines = await poll(
      () => readLogLines(p),
      (read) => read.filter((line) => line.msg === 'controller error').length >= 2,
    )
    const failures = lines.filter((line) => line.msg === 'controller error')
    expect(failures).toHaveLength(2)
    for (const failure of failures) {
      expect(failure.level).toBe('error')
      expect(String(failure.method).toLowerCase()).toBe('index.index.fail')
      expect(failure.error).toBe('fail was called')
      expect(String(failure.stack)).toMatch(/^Error: fail was called\n\s+at /)
      // Down to the controller's source file and line.
      expect(String(failure.stack)).toContain(`${SAMPLE_APP}/Index/Controller/Index.ts:`)
      expect(failure.controller).toBe('Index.Index.fail')
    }
  })
})
