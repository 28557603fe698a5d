import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Message } from '../../src/app-api/types.js'
import type { FromWorker } from '../../src/contracts/thread-channel.js'
import { WorkerHarness } from './worker-harness.js'

/** The sample app in a real worker thread, driven with the master's messages. */

const appDir = fileURLToPath(new URL('../../app', import.meta.url))
let worker: WorkerHarness
let seq = 0

beforeAll(async () => {
  worker = new WorkerHarness({ appDir, workerId: 1, generation: 0 })
  await worker.take('ready')
})
afterAll(() => worker.stop())

type Send = Extract<FromWorker, { t: 'send' }>

/** Posts a client message for `fd` and returns its seq. */
function send(fd: number, fields: Record<string, unknown>): number {
  const data: Message = { fd, auth: { id: 7, type: 'wechatUser', code: 'c1', nickname: 'Ann', ctime: 1 }, code: 'c1', ...fields }
  worker.post({ t: 'message', seq: ++seq, data })
  return seq
}

const toFd = (fd: number) => (m: Send) => m.to === 'fd' && m.target === fd

/** The next frame for `fd` and the `done` of `seq`, checking the frame went out first. */
async function reply(fd: number, s: number): Promise<Record<string, unknown>> {
  const frame = await worker.take('send', toFd(fd))
  const done = await worker.take('done', (m) => m.seq === s)
  expect(worker.indexOf(frame)).toBeLessThan(worker.indexOf(done))
  return JSON.parse(frame.frame) as Record<string, unknown>
}

describe('worker on the sample app', () => {
  it('says ready with the controllers it loaded', () => {
    expect(worker.received[0]).toEqual({ t: 'ready', controllers: ['Index.Index', 'Live.User', 'Live.Wall'] })
  })

  it("answers index like the seed's README, for an explicit and for a missing method", async () => {
    const s1 = send(1, { method: 'Index.Index.Index' })
    const first = await worker.take('send', toFd(1))
    // The seed's wire format: json_encode's \\uXXXX for each non-ASCII unit.
    expect(first.frame).toBe('{"status":200,"event":"success","info":"\\u6267\\u884c\\u5b8c\\u6210"}')
    expect(await worker.take('done', (m) => m.seq === s1)).toEqual({ t: 'done', seq: s1 })
    expect(await reply(1, send(1, {}))).toEqual({ status: 200, event: 'success', info: '执行完成' })
  })

  it('answers 404 for an unknown controller or a malformed method, 405 for an unknown action', async () => {
    expect(await reply(2, send(2, { method: 'live.nobody.join' }))).toEqual({
      status: 404,
      event: 'controllerNotFound',
      info: '您请求的控制器不存在',
    })
    expect(await reply(2, send(2, { method: 'index.index.index.index' }))).toMatchObject({ status: 404 })
    expect(await reply(2, send(2, { method: 'index.constructor' }))).toMatchObject({ status: 404 })
    expect(await reply(2, send(2, { method: 'index.index.nothing' }))).toEqual({
      status: 405,
      event: 'methodNotFound',
      info: '您请求的method方法不存在',
    })
    expect(await reply(2, send(2, { method: 'onClose' }))).toMatchObject({ status: 405 })
  })

  it('answers 500 with a generic info when an action throws, and logs the stack', async () => {
    const s = send(3, { method: 'fail' })
    const answer = await reply(3, s)
    expect(answer).toEqual({ status: 500, event: 'controllerError', info: '程序错误' })
    expect(JSON.stringify(answer)).not.toContain('Index.ts')
    const log = await worker.take('log', (m) => m.level === 'error' && m.fields?.seq === s)
    expect(log.msg).toBe('controller error')
    expect(log.fields).toMatchObject({ controller: 'Index.Index.fail', fd: 3, error: 'fail was called' })
    expect(String(log.fields?.stack)).toContain('app/Index/Controller/Index.ts')
  })

  it('echoes the data it got', async () => {
    const answer = await reply(4, send(4, { method: 'echo', text: '&lt;b&gt;' }))
    expect(answer).toMatchObject({
      status: 200,
      event: 'echo',
      param: { fd: 4, method: 'echo', text: '&lt;b&gt;', code: 'c1', auth: { nickname: 'Ann' } },
    })
  })

  it("handles one fd's messages in arrival order even when the first is slow", async () => {
    const slow = send(5, { method: 'slow', ms: 150 })
    const echo = send(5, { method: 'echo' })
    const slowFrame = await worker.take('send', toFd(5))
    const echoFrame = await worker.take('send', toFd(5))
    expect(JSON.parse(slowFrame.frame)).toMatchObject({ event: 'slow', param: { ms: 150 } })
    expect(JSON.parse(echoFrame.frame)).toMatchObject({ event: 'echo' })
    const doneSlow = await worker.take('done', (m) => m.seq === slow)
    const doneEcho = await worker.take('done', (m) => m.seq === echo)
    expect(worker.indexOf(doneSlow)).toBeLessThan(worker.indexOf(echoFrame))
    expect(worker.indexOf(doneSlow)).toBeLessThan(worker.indexOf(doneEcho))
  })

  it('lets other fds through while one waits on the master, then joins and counts', async () => {
    const join = send(6, { method: 'join', room: 'lobby' })
    const call = await worker.take('call', (m) => m.name === 'join')
    expect(call).toEqual({ t: 'call', id: call.id, name: 'join', args: [6, 'lobby'] })
    expect(call.id).toEqual(expect.any(Number))

    // fd 6 is waiting on the join: a later message of fd 6 waits, fd 7 does not.
    const queued = send(6, { method: 'echo' })
    const other = send(7, { method: 'echo' })
    await reply(7, other)
    expect(worker.pending('send').filter(toFd(6))).toEqual([])

    worker.post({ t: 'result', id: call.id!, value: null })
    expect(await worker.take('call', (m) => m.name === 'controllerAdd')).toEqual({
      t: 'call',
      name: 'controllerAdd',
      args: [6, 'Index.Index'],
    })
    const count = await worker.take('call', (m) => m.name === 'count')
    expect(count.args).toEqual(['lobby'])
    worker.post({ t: 'result', id: count.id!, value: 3 })
    expect(await reply(6, join)).toEqual({ status: 200, event: 'joined', info: 'joined lobby', param: { room: 'lobby', count: 3 } })
    expect(await reply(6, queued)).toMatchObject({ event: 'echo' })
  })

  it('sends to a room except the sender', async () => {
    const s = send(8, { method: 'say', room: 'lobby', text: 'hi all' })
    const frame = await worker.take('send', (m) => m.to === 'room')
    expect(frame).toEqual({
      t: 'send',
      to: 'room',
      target: 'lobby',
      frame: '{"status":200,"event":"said","info":"hi all","param":{"fd":8}}',
      except: [8],
    })
    await worker.take('done', (m) => m.seq === s)
  })

  it('sets then reads the session through the master', async () => {
    const s = send(9, { method: 'session', values: { seat: 'A3' } })
    const set = await worker.take('call', (m) => m.name === 'sessionSet')
    expect(set.args).toEqual([9, { seat: 'A3' }])
    worker.post({ t: 'result', id: set.id!, value: null })
    const get = await worker.take('call', (m) => m.name === 'sessionGet')
    worker.post({ t: 'result', id: get.id!, value: { seat: 'A3', since: 1 } })
    expect(await reply(9, s)).toMatchObject({ event: 'session', param: { seat: 'A3', since: 1 } })
  })

  it('makes a store call the master answers, and turns a store error into a 500', async () => {
    const ok = send(10, { method: 'visits' })
    const call = await worker.take('call', (m) => m.name === 'store')
    expect(call.args).toEqual(['incr', ['visits:c1']])
    worker.post({ t: 'result', id: call.id!, value: 5 })
    expect(await reply(10, ok)).toEqual({ status: 200, event: 'visits', info: 'visit 5', param: { visits: 5 } })

    const failing = send(10, { method: 'visits' })
    const again = await worker.take('call', (m) => m.name === 'store')
    worker.post({ t: 'result', id: again.id!, error: { code: 'MSW_ERR_STORE_UNAVAILABLE', message: 'store is down' } })
    expect(await reply(10, failing)).toMatchObject({ status: 500, event: 'controllerError' })
    const log = await worker.take('log', (m) => m.fields?.seq === failing)
    expect(log.fields).toMatchObject({ error: 'store is down' })
  })

  it('runs onClose of each registered controller once, and warns about unknown ones', async () => {
    const closeSeq = ++seq
    worker.post({
      t: 'close',
      seq: closeSeq,
      controllers: ['Index.Index', 'index.INDEX', 'Live.Gone'],
      event: { fd: 6, auth: {}, code: 'c1', closeCode: 1001, reason: 'going away' },
    })
    await worker.take('done', (m) => m.seq === closeSeq)
    const closed = worker.received.filter((m) => m.t === 'log' && m.msg === 'index: connection closed')
    expect(closed).toEqual([{ t: 'log', level: 'info', msg: 'index: connection closed', fields: { fd: 6, code: 'c1', closeCode: 1001 } }])
    expect(await worker.take('log', (m) => m.level === 'warn')).toMatchObject({ fields: { controller: 'Live.Gone', fd: 6 } })
  })

  describe('client frames, as the master forwards their text', () => {
    const token = { id: 7, type: 'wechatUser', code: 'c1', nickname: 'Ann', ctime: 1 }
    function frame(
      fd: number,
      text: string,
      sender: { auth: typeof token | undefined; code: string } = { auth: token, code: 'c1' },
    ): number {
      worker.post({ t: 'frame', seq: ++seq, fd, text, sender: JSON.stringify([sender.auth ?? null, sender.code]) })
      return seq
    }

    it('acks, then hands the escaped fields to the controller with the token as the sender', async () => {
      const s = frame(20, JSON.stringify({ method: 'echo', text: '<b>', auth: { id: 666 }, code: 'other' }))
      const ack = await worker.take('ack', (m) => m.fd === 20)
      const answer = await reply(20, s)
      expect(worker.indexOf(ack)).toBeLessThan(worker.received.findIndex((m) => m.t === 'send' && m.target === 20))
      expect(answer).toMatchObject({ event: 'echo', param: { fd: 20, method: 'echo', text: '&lt;b&gt;', code: 'c1', auth: { id: 7 } } })
    })

    it("takes an anonymous client's auth and code from its frame", async () => {
      const s = frame(21, JSON.stringify({ method: 'echo', auth: { id: 9 }, code: 'x' }), { auth: undefined, code: '' })
      expect(await reply(21, s)).toMatchObject({ param: { auth: { id: 9 }, code: 'x' } })
    })

    it('refuses what is not a JSON object with a clear reply and no ack, and finishes the seq', async () => {
      for (const [text, info] of [
        ['{not json', 'message is not valid JSON'],
        ['[1,2]', 'message must be a JSON object'],
        ['{"method":5}', 'method must be a string'],
        ['{"method":"echo","__proto__":{"x":1}}', 'forbidden key "__proto__"'],
      ] as const) {
        const s = frame(22, text)
        const refused = await worker.take('send', toFd(22))
        expect(JSON.parse(refused.frame)).toEqual({ status: 400, event: 'badRequest', info })
        await worker.take('done', (m) => m.seq === s)
      }
      expect(worker.received.some((m) => m.t === 'ack' && m.fd === 22)).toBe(false)
    })
  })
})
