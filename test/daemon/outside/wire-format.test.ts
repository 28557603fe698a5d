import { describe, expect, it } from 'vitest'
import { withDaemon } from '../../../src/ipc/client.js'
import { useSharedDaemon } from '../../helpers/cli.js'
import { mintToken, TestClient } from '../../helpers/client.js'
import { phpString } from '../../helpers/php-string.js'

/** The seed's App::sendMessage frame without a param, its strings as json_encode writes them. */
function seedFrame(status: number, event: string, info: string): string {
  return `{"status":${status},"event":${phpString(event)},"info":${phpString(info)}}`
}

/** The seed's ack exactly as MSwoole-ws sent it. */
const SEED_ACK =
  '{"status":200,"event":"receiveMessage","info":"\\u670d\\u52a1\\u7aef\\u5df2\\u6536\\u5230\\u60a8\\u7684\\u8bf7\\u6c42\\u5185\\u5bb9"}'

async function connect(port: number, id: number, code: string): Promise<TestClient> {
  return TestClient.connect(`ws://127.0.0.1:${port}/?auth=${await mintToken({ id, type: 'wechatUser', code })}`)
}

async function fdOf(client: TestClient): Promise<number> {
  return ((await client.ask({ method: 'index.index.echo' }, 'echo')).param as { fd: number }).fd
}

/** Sends a message and returns the next two raw frames: the ack and the answer. */
async function exchange(client: TestClient, message: Record<string, unknown>): Promise<[string, string]> {
  client.send(message)
  return [await client.nextFrame(), await client.nextFrame()]
}

const isAscii = (frame: string) => [...Buffer.from(frame)].every((byte) => byte < 0x80)

/** A message with what PHP escapes: slashes, CJK, an astral character (a surrogate pair), a control character. */
const WIDE_INFO = '墙上 </script> http://a/b 😀 é\t"q"'

describe('the seed wire format (the default)', () => {
  const daemon = useSharedDaemon()

  it('sends the ack, 404, 405 and 500 byte for byte as MSwoole-ws did', async () => {
    expect(seedFrame(200, 'receiveMessage', '服务端已收到您的请求内容')).toBe(SEED_ACK)
    const client = await connect(daemon().status.outside.port, 1, 'wire-texts')
    expect(await exchange(client, { method: 'live.nobody.join' })).toEqual([
      SEED_ACK,
      seedFrame(404, 'controllerNotFound', '您请求的控制器不存在'),
    ])
    expect(await exchange(client, { method: 'index.index.nothing' })).toEqual([
      SEED_ACK,
      seedFrame(405, 'methodNotFound', '您请求的method方法不存在'),
    ])
    expect(await exchange(client, { method: 'index.index.fail' })).toEqual([SEED_ACK, seedFrame(500, 'controllerError', '程序错误')])
    // The keepalive is the seed's too.
    client.send('2')
    expect(await client.nextFrame()).toBe('3')
    client.close()
  })

  it("encodes a controller's own sends as PHP did", async () => {
    const { outside } = daemon().status
    const client = await connect(outside.port, 2, 'wire-app')
    expect(await exchange(client, { method: 'index.index.index' })).toEqual([SEED_ACK, seedFrame(200, 'success', '执行完成')])
    const listener = await connect(outside.port, 3, 'wire-app')
    await listener.ask({ method: 'index.index.join', room: 'wire-say' }, 'joined')
    await client.ask({ method: 'index.index.join', room: 'wire-say' }, 'joined')
    const fd = await fdOf(client)
    client.send({ method: 'index.index.say', room: 'wire-say', text: '墙 a/b 😀' })
    const said = await listener.nextFrame()
    expect(said).toBe(`{"status":200,"event":"said","info":${phpString('墙 a/b 😀')},"param":{"fd":${fd}}}`)
    client.close()
    listener.close()
  })

  it("leaves param out for each value PHP's empty() is true of, and keeps every other", async () => {
    const { project, status } = daemon()
    const client = await connect(status.outside.port, 4, 'wire-empty')
    const fd = await fdOf(client)
    const push = async (param: unknown): Promise<string> => {
      await withDaemon(project.socket, (c) => c.call('push', { fd, event: 'p', info: 'i', param }))
      return client.nextFrame()
    }
    for (const empty of [null, false, 0, 0.0, -0, '', '0', [], {}]) {
      expect(await push(empty), JSON.stringify(empty)).toBe('{"status":200,"event":"p","info":"i"}')
    }
    for (const [kept, json] of [
      ['00', '"00"'],
      [' ', '" "'],
      ['0.0', '"0.0"'],
      [0.5, '0.5'],
      [true, 'true'],
      [[0], '[0]'],
      [{ a: 0 }, '{"a":0}'],
      ['a/é', '"a\\/\\u00e9"'],
    ] as const) {
      expect(await push(kept), json).toBe(`{"status":200,"event":"p","info":"i","param":${json}}`)
    }
    client.close()
  })

  it('frames a broadcast once: byte-identical on every socket, in ASCII', async () => {
    const { project, status } = daemon()
    const a = await connect(status.outside.port, 5, 'wire-broadcast')
    const b = await connect(status.outside.port, 6, 'wire-broadcast')
    const param = { url: 'http://example.com/a/b', name: '张三', emoji: '😀' }
    const result = await withDaemon(project.socket, (c) =>
      c.call('broadcast', { room: 'wire-broadcast', event: 'news', info: WIDE_INFO, param }),
    )
    expect(result).toMatchObject({ delivered: 2 })
    const expected = `{"status":200,"event":"news","info":${phpString(WIDE_INFO)},"param":{"url":${phpString(param.url)},"name":${phpString(param.name)},"emoji":${phpString(param.emoji)}}}`
    const [first, second] = [await a.nextFrame(), await b.nextFrame()]
    expect(first).toBe(expected)
    expect(Buffer.from(second).equals(Buffer.from(first))).toBe(true)
    expect(isAscii(first)).toBe(true)
    // A surrogate pair, lowercase, as json_encode writes a character past U+FFFF.
    expect(first).toContain('\\ud83d\\ude00')
    expect(JSON.parse(first)).toEqual({ status: 200, event: 'news', info: WIDE_INFO, param })
    a.close()
    b.close()
  })
})

describe('the modern wire format', () => {
  const daemon = useSharedDaemon({ setting: { wire_format: 'modern' } })
  const ack = JSON.stringify({ status: 200, event: 'receiveMessage', info: 'message received' })

  it('answers in English and plain UTF-8 JSON', async () => {
    const client = await connect(daemon().status.outside.port, 1, 'modern-texts')
    expect(await exchange(client, { method: 'live.nobody.join' })).toEqual([
      ack,
      '{"status":404,"event":"controllerNotFound","info":"controller not found"}',
    ])
    expect(await exchange(client, { method: 'index.index.nothing' })).toEqual([
      ack,
      '{"status":405,"event":"methodNotFound","info":"method not found"}',
    ])
    expect(await exchange(client, { method: 'index.index.fail' })).toEqual([
      ack,
      '{"status":500,"event":"controllerError","info":"controller error"}',
    ])
    expect(await exchange(client, { method: 'index.index.index' })).toEqual([ack, '{"status":200,"event":"success","info":"执行完成"}'])
    client.close()
  })

  it('broadcasts UTF-8 unescaped and keeps a falsy param', async () => {
    const { project, status } = daemon()
    const a = await connect(status.outside.port, 2, 'modern-broadcast')
    const b = await connect(status.outside.port, 3, 'modern-broadcast')
    await withDaemon(project.socket, (c) =>
      c.call('broadcast', { room: 'modern-broadcast', event: 'news', info: WIDE_INFO, param: { url: 'http://x/y' } }),
    )
    const expected = JSON.stringify({ status: 200, event: 'news', info: WIDE_INFO, param: { url: 'http://x/y' } })
    expect([await a.nextFrame(), await b.nextFrame()]).toEqual([expected, expected])
    await withDaemon(project.socket, (c) => c.call('broadcast', { room: 'modern-broadcast', event: 'zero', info: '', param: 0 }))
    expect(await a.nextFrame()).toBe('{"status":200,"event":"zero","info":"","param":0}')
    a.close()
    b.close()
  })
})

describe('anonymous mode (auth.enabled false)', () => {
  const daemon = useSharedDaemon({ auth: { enabled: false } })
  const url = () => `ws://127.0.0.1:${daemon().status.outside.port}/`

  it("gives the controller the auth and code the client's frame carries, as the seed did", async () => {
    const client = await TestClient.connect(url())
    const auth = { id: 9, type: 'wechatUser', nickname: 'Bob' }
    const echoed = (await client.ask({ method: 'index.index.echo', auth, code: 'E1' }, 'echo')).param as Record<string, unknown>
    expect(echoed).toMatchObject({ auth, code: 'E1' })
    // A number code, as a PHP client might send it, arrives as text.
    expect(((await client.ask({ method: 'index.index.echo', code: 42 }, 'echo')).param as Record<string, unknown>).code).toBe('42')
    // Without them, or of the wrong type: empty.
    expect((await client.ask({ method: 'index.index.echo' }, 'echo')).param).toMatchObject({ auth: {}, code: '' })
    expect((await client.ask({ method: 'index.index.echo', auth: 'x', code: ['E1'] }, 'echo')).param).toMatchObject({ auth: {}, code: '' })
    client.close()
    // A client that did bring a token is its token, whatever its frames say.
    const withToken = await connect(daemon().status.outside.port, 11, 'T1')
    const claimed = (await withToken.ask({ method: 'index.index.echo', auth: { id: 99, type: 'wall' }, code: 'E1' }, 'echo')).param as {
      auth: { id: number }
      code: string
    }
    expect(claimed).toMatchObject({ auth: { id: 11 }, code: 'T1' })
    withToken.close()
  })

  it('lets the Live module run without tokens: a wall and a phone join and the wall sees what the phone says', async () => {
    const wall = await TestClient.connect(url())
    const phone = await TestClient.connect(url())
    const code = 'anon-live'
    await wall.ask({ method: 'live.wall.join', auth: { id: 1, type: 'wall', nickname: 'screen' }, code }, 'wallJoinSuccess')
    const me = { id: 7, type: 'wechatUser', nickname: 'Bob' }
    await phone.ask({ method: 'live.user.join', auth: me, code }, 'userJoinSuccess')
    phone.send({ method: 'live.user.say', auth: me, code, say: 'hello' })
    expect((await wall.next('userSayNeedCheck')).param).toMatchObject({ nickname: 'Bob', say: 'hello' })
    wall.close()
    phone.close()
  })
})
