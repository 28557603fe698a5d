import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WorkerApp } from '../../src/worker/app.js'
import { loadControllers } from '../../src/worker/controller-loader.js'
import { Dispatcher } from '../../src/worker/dispatcher.js'
import type { FromWorker } from '../../src/contracts/thread-channel.js'
import type { CloseEvent, Message } from '../../src/app-api/types.js'
import { makeTempApp, type TempApp } from './temp-app.js'

/** Routing and hooks in this process, on a temp app with an onMessage fallback. */

let temp: TempApp
let dispatcher: Dispatcher
const posted: FromWorker[] = []

beforeAll(async () => {
  temp = await makeTempApp()
  await temp.write(
    'Live/Controller/Wall.ts',
    `type App = { sendSuccessMessage(t: number, e: string, i: string, p?: unknown): void; log: { info(m: string, f?: object): void } }
type Data = { fd: number; method?: string }
let release: () => void = () => {}
export default class Wall {
  show(app: App, data: Data) { app.sendSuccessMessage(data.fd, 'shown', 'ok') }
  hold(app: App, data: Data) { return new Promise<void>((resolve) => { release = () => { app.sendSuccessMessage(data.fd, 'held', 'ok'); resolve() } }) }
  release() { release() }
  rejectWithString() { return Promise.reject('not an Error') }
  onMessage(app: App, data: Data) { app.sendSuccessMessage(data.fd, 'fallback', String(data.method)) }
  onClose(app: App, data: { fd: number }) { app.log.info('wall closed', { fd: data.fd }) }
}
`,
  )
  await temp.write('Live/Controller/Broken.ts', "export default class Broken {\n  onClose() { throw new Error('onClose broke') }\n}\n")
  const controllers = await loadControllers(temp.dir)
  const post = (m: FromWorker) => posted.push(m)
  dispatcher = new Dispatcher({ controllers, app: new WorkerApp(post), post })
})
afterAll(() => temp.remove())

function message(fd: number, method: string): Message {
  return { fd, method, auth: {}, code: 'room1' }
}

function closeEvent(fd: number): CloseEvent {
  return { fd, auth: {}, code: 'room1', closeCode: 1000, reason: '' }
}

/** The events of the frames sent to `fd` since `from`. */
function eventsFor(fd: number, from = 0): string[] {
  return posted
    .slice(from)
    .filter((m): m is Extract<FromWorker, { t: 'send' }> => m.t === 'send' && m.target === fd)
    .map((m) => (JSON.parse(m.frame) as { event: string }).event)
}

describe('Dispatcher', () => {
  it('falls back to onMessage for an unknown action', async () => {
    await dispatcher.message(1, message(1, 'live.wall.nothingHere'))
    expect(posted.at(-2)).toEqual({
      t: 'send',
      to: 'fd',
      target: 1,
      frame: '{"status":200,"event":"fallback","info":"live.wall.nothingHere"}',
    })
    expect(posted.at(-1)).toEqual({ t: 'done', seq: 1 })
  })

  it('answers 405 for an unknown action of a controller without onMessage, and 404 for an unknown controller', async () => {
    await dispatcher.message(2, message(2, 'live.broken.show'))
    await dispatcher.message(3, message(2, 'live.nope.show'))
    await dispatcher.message(4, message(2, 'a.b.c.d'))
    const frames = posted.filter((m) => m.t === 'send' && m.target === 2).map((m) => (m as { frame: string }).frame)
    expect(frames).toEqual([
      '{"status":405,"event":"methodNotFound","info":"\\u60a8\\u8bf7\\u6c42\\u7684method\\u65b9\\u6cd5\\u4e0d\\u5b58\\u5728"}',
      '{"status":404,"event":"controllerNotFound","info":"\\u60a8\\u8bf7\\u6c42\\u7684\\u63a7\\u5236\\u5668\\u4e0d\\u5b58\\u5728"}',
      '{"status":404,"event":"controllerNotFound","info":"\\u60a8\\u8bf7\\u6c42\\u7684\\u63a7\\u5236\\u5668\\u4e0d\\u5b58\\u5728"}',
    ])
  })

  it('answers 500 for a rejection that is not an Error, and logs it', async () => {
    const from = posted.length
    await dispatcher.message(5, message(3, 'live.wall.rejectWithString'))
    expect(eventsFor(3, from)).toEqual(['controllerError'])
    expect(posted.slice(from)).toContainEqual(
      expect.objectContaining({
        t: 'log',
        level: 'error',
        fields: expect.objectContaining({ error: 'not an Error', controller: 'Live.Wall.rejectWithString' }),
      }),
    )
    expect(posted.at(-1)).toEqual({ t: 'done', seq: 5 })
  })

  it("keeps one fd's messages in order and lets other fds pass a held one", async () => {
    const from = posted.length
    const held = dispatcher.message(10, message(4, 'live.wall.hold'))
    const after = dispatcher.message(11, message(4, 'live.wall.show'))
    await dispatcher.message(12, message(5, 'live.wall.show'))
    expect(eventsFor(5, from)).toEqual(['shown'])
    expect(eventsFor(4, from)).toEqual([])
    await dispatcher.message(13, message(6, 'live.wall.release'))
    await Promise.all([held, after])
    expect(eventsFor(4, from)).toEqual(['held', 'shown'])
    const dones = posted
      .slice(from)
      .filter((m) => m.t === 'done')
      .map((m) => (m as { seq: number }).seq)
    expect(dones.indexOf(12)).toBeLessThan(dones.indexOf(10))
    expect(dones.indexOf(10)).toBeLessThan(dones.indexOf(11))
  })

  it('runs onClose once per controller after the fd’s pending messages, and logs one that throws', async () => {
    const from = posted.length
    const held = dispatcher.message(20, message(7, 'live.wall.hold'))
    const closed = dispatcher.close(22, ['Live.Wall', 'LIVE.WALL', 'live.broken', 'Live.Missing'], closeEvent(7))
    await dispatcher.message(21, message(8, 'live.wall.release'))
    await Promise.all([held, closed])
    const logs = posted.slice(from).filter((m): m is Extract<FromWorker, { t: 'log' }> => m.t === 'log')
    expect(logs.filter((l) => l.msg === 'wall closed')).toEqual([{ t: 'log', level: 'info', msg: 'wall closed', fields: { fd: 7 } }])
    expect(logs).toContainEqual(
      expect.objectContaining({
        level: 'error',
        msg: 'onClose failed',
        fields: expect.objectContaining({ controller: 'Live.Broken', error: 'onClose broke' }),
      }),
    )
    expect(logs).toContainEqual(expect.objectContaining({ level: 'warn', fields: { controller: 'Live.Missing', fd: 7 } }))
    // The close came after the held message, so onClose saw its reply go out first.
    const heldReply = posted.findIndex((m, i) => i >= from && m.t === 'send' && m.target === 7)
    const closeLog = posted.findIndex((m, i) => i >= from && m.t === 'log' && m.msg === 'wall closed')
    expect(heldReply).toBeLessThan(closeLog)
    const closeDone = posted.findIndex((m) => m.t === 'done' && m.seq === 22)
    expect(closeDone).toBeGreaterThan(closeLog)
  })
})
