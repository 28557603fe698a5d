import { MessageChannel } from 'node:worker_threads'
import { describe, expect, it, vi } from 'vitest'
import { AppCallError, asFd, WorkerApp } from '../../src/worker/app.js'
import type { FromWorker } from '../../src/contracts/thread-channel.js'
import { setWireFormat } from '../../src/protocol/wire-format.js'

/** A WorkerApp whose posts are recorded. */
function recorded(options?: ConstructorParameters<typeof WorkerApp>[1]) {
  const posted: FromWorker[] = []
  const app = new WorkerApp((m) => posted.push(m), options)
  const lastCall = () => {
    const call = posted.findLast((m) => m.t === 'call')
    if (call?.t !== 'call' || call.id === undefined) throw new Error('no call with an id was posted')
    return call as Extract<FromWorker, { t: 'call' }> & { id: number }
  }
  return { app, posted, lastCall }
}

describe('WorkerApp sends', () => {
  it('builds the seed envelope once, as PHP json_encode wrote it, leaving out an empty() param', () => {
    const { app, posted } = recorded()
    app.sendSuccessMessage(7, 'success', '执行完成')
    app.sendMessage(7, 403, 'mustBeWechatUser', 'wechat users only', null)
    app.sendSuccessMessage(7, 'list', 'ok', [1, { a: 'b/c' }])
    expect(posted).toEqual([
      { t: 'send', to: 'fd', target: 7, frame: '{"status":200,"event":"success","info":"\\u6267\\u884c\\u5b8c\\u6210"}' },
      { t: 'send', to: 'fd', target: 7, frame: '{"status":403,"event":"mustBeWechatUser","info":"wechat users only"}' },
      { t: 'send', to: 'fd', target: 7, frame: '{"status":200,"event":"list","info":"ok","param":[1,{"a":"b\\/c"}]}' },
    ])
  })

  it('builds plain UTF-8 JSON in the modern wire format, leaving out only an undefined param', () => {
    const { app, posted } = recorded()
    setWireFormat('modern')
    try {
      app.sendSuccessMessage(7, 'success', '执行完成 a/b')
      app.sendMessage(7, 403, 'mustBeWechatUser', 'wechat users only', null)
      app.sendSuccessMessage(7, 'zero', 'ok', 0)
    } finally {
      setWireFormat('seed')
    }
    expect(posted.map((m) => (m.t === 'send' ? m.frame : m))).toEqual([
      '{"status":200,"event":"success","info":"执行完成 a/b"}',
      '{"status":403,"event":"mustBeWechatUser","info":"wechat users only","param":null}',
      '{"status":200,"event":"zero","info":"ok","param":0}',
    ])
  })

  it('takes a number or a string of digits for an fd and anything else for a room', () => {
    const { app, posted } = recorded()
    app.sendSuccessMessage('12', 'e', 'i')
    app.sendSuccessMessage('user:12', 'e', 'i', undefined, { except: [3] })
    app.sendSuccessMessage('12a', 'e', 'i', undefined, { except: [] })
    expect(posted.map((m) => (m.t === 'send' ? [m.to, m.target, m.except] : m))).toEqual([
      ['fd', 12, undefined],
      ['room', 'user:12', [3]],
      ['room', '12a', undefined],
    ])
    expect(asFd(5)).toBe(5)
    expect(asFd('')).toBeUndefined()
  })

  it('sends to a uid as a string', () => {
    const { app, posted } = recorded()
    app.sendToUid(42, 200, 'hello', 'hi', { n: 1 })
    expect(posted).toEqual([{ t: 'send', to: 'uid', target: '42', frame: '{"status":200,"event":"hello","info":"hi","param":{"n":1}}' }])
  })

  it('posts close keys and close controllers as calls nobody answers', () => {
    const { app, posted } = recorded()
    app.fdAddCloseKey(1, 'user:room')
    app.fdRemoveCloseKey(1, 'user:room')
    app.fdAddController(1, 'Live.User')
    app.fdRemoveController(1, 'Live.User')
    expect(posted).toEqual([
      { t: 'call', name: 'closeKeyAdd', args: [1, 'user:room'] },
      { t: 'call', name: 'closeKeyRemove', args: [1, 'user:room'] },
      { t: 'call', name: 'controllerAdd', args: [1, 'Live.User'] },
      { t: 'call', name: 'controllerRemove', args: [1, 'Live.User'] },
    ])
    expect(app.pendingCalls).toBe(0)
  })

  it('posts log lines', () => {
    const { app, posted } = recorded()
    app.log.warn('careful', { fd: 1 })
    app.log.info('plain')
    expect(posted).toEqual([
      { t: 'log', level: 'warn', msg: 'careful', fields: { fd: 1 } },
      { t: 'log', level: 'info', msg: 'plain' },
    ])
  })
})

describe('WorkerApp calls', () => {
  it('resolves a call with the matching result, and rejects one with an error result', async () => {
    const { app, lastCall } = recorded()
    const joined = app.join(3, 'lobby')
    const join = lastCall()
    expect(join).toEqual({ t: 'call', id: join.id, name: 'join', args: [3, 'lobby'] })
    const counted = app.count('lobby')
    const count = lastCall()
    expect(count.id).not.toBe(join.id)

    expect(app.settle({ t: 'result', id: count.id, value: 2 })).toBe(true)
    expect(app.settle({ t: 'result', id: join.id, error: { code: 'MSW_ERR_STORE', message: 'redis is down' } })).toBe(true)
    expect(await counted).toBe(2)
    const err = await joined.catch((e: unknown) => e)
    expect(err).toBeInstanceOf(AppCallError)
    expect(err).toMatchObject({ code: 'MSW_ERR_STORE', message: 'redis is down', call: 'join' })
    expect(app.settle({ t: 'result', id: join.id, value: null })).toBe(false)
    expect(app.pendingCalls).toBe(0)
  })

  it('answers members and uidFds with numbers, and binds uids as strings', async () => {
    const { app, lastCall } = recorded()
    const members = app.members('lobby')
    app.settle({ t: 'result', id: lastCall().id, value: ['1', 2] })
    expect(await members).toEqual([1, 2])
    const bound = app.bindUid(4, 99)
    expect(lastCall().args).toEqual([4, '99'])
    app.settle({ t: 'result', id: lastCall().id, value: null })
    await bound
    const fds = app.uidFds(99)
    expect(lastCall()).toMatchObject({ name: 'uidFds', args: ['99'] })
    app.settle({ t: 'result', id: lastCall().id, value: [4] })
    expect(await fds).toEqual([4])
  })

  it('reads and writes the session', async () => {
    const { app, lastCall } = recorded()
    const set = app.session.set(1, { seat: 'A3' })
    expect(lastCall()).toMatchObject({ name: 'sessionSet', args: [1, { seat: 'A3' }] })
    app.settle({ t: 'result', id: lastCall().id, value: undefined })
    await set
    const got = app.session.get(1)
    app.settle({ t: 'result', id: lastCall().id, value: { seat: 'A3' } })
    expect(await got).toEqual({ seat: 'A3' })
  })

  it('forwards every store method by name, without trailing undefined arguments', async () => {
    const { app, lastCall } = recorded()
    const set = app.store.set('k', 'v')
    expect(lastCall()).toMatchObject({ name: 'store', args: ['set', ['k', 'v']] })
    app.settle({ t: 'result', id: lastCall().id, value: undefined })
    await set
    const withTtl = app.store.set('k', 'v', { ttl: 5 })
    expect(lastCall().args).toEqual(['set', ['k', 'v', { ttl: 5 }]])
    app.settle({ t: 'result', id: lastCall().id, value: undefined })
    await withTtl
    const range = app.store.lrange('list', 0, -1)
    app.settle({ t: 'result', id: lastCall().id, value: ['a', 'b'] })
    expect(await range).toEqual(['a', 'b'])
  })

  it('refuses new calls past the pending limit instead of queueing without end', async () => {
    const { app, posted } = recorded({ maxPendingCalls: 2, callTimeoutMs: 50 })
    const held = [app.count('a'), app.count('b')].map((call) => call.catch((e: unknown) => e))
    const third = await app.count('c').catch((e: unknown) => e)
    expect(third).toBeInstanceOf(AppCallError)
    expect(posted).toHaveLength(2)
    // The two held calls end here, by their timeout, instead of rejecting later in another file.
    expect(await Promise.all(held)).toEqual([expect.any(AppCallError), expect.any(AppCallError)])
  })

  it('rejects a call the master never answers once the timeout passes', async () => {
    const { app } = recorded({ callTimeoutMs: 20 })
    const err = await app.count('a').catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'MSW_ERR_IPC_TIMEOUT', call: 'count' })
    expect(app.pendingCalls).toBe(0)
  })

  it('rejects a call whose arguments cannot cross to the master, and still logs fields that cannot', async () => {
    const { port1, port2 } = new MessageChannel()
    const received: FromWorker[] = []
    port2.on('message', (m: FromWorker) => received.push(m))
    const app = new WorkerApp((m) => port1.postMessage(m))
    const err = await app.session.set(1, { callback: () => 1 }).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'MSW_ERR_INVALID_ARGUMENT', call: 'sessionSet' })
    expect(app.pendingCalls).toBe(0)

    app.log.info('with a function', { fn: () => 1, n: 1n, ok: true })
    await vi.waitFor(() => expect(received).toEqual([{ t: 'log', level: 'info', msg: 'with a function', fields: { n: '1', ok: true } }]))
    port1.close()
  })
})
