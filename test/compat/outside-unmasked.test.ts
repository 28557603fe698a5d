import { describe, expect, it } from 'vitest'
import type { StatusResult } from '../../src/contracts/control-api.js'
import { useSharedDaemon } from '../helpers/cli.js'
import { mintToken, TestClient } from '../helpers/client.js'
import { SwooleClient } from './swoole-client.js'

/**
 * The README's PHP test client (`Swoole\Http\Client`) on the outside port: its
 * frames have no mask. RFC 6455 has the server close such a connection (1002),
 * which stays the default; outside.accept_unmasked_frames lets them in.
 */

// json_encode(['method' => 'index.index.index', 'name' => 'hello']), as the README's client pushes it.
const README_MESSAGE = '{"method":"index.index.index","name":"hello"}'
// App::sendMessage's receiveMessage ack, then the sample Index controller's answer, as json_encode wrote them.
const ACK =
  '{"status":200,"event":"receiveMessage","info":"\\u670d\\u52a1\\u7aef\\u5df2\\u6536\\u5230\\u60a8\\u7684\\u8bf7\\u6c42\\u5185\\u5bb9"}'
const DONE = '{"status":200,"event":"success","info":"\\u6267\\u884c\\u5b8c\\u6210"}'

async function readmeClient(status: StatusResult, id: string): Promise<SwooleClient> {
  const token = await mintToken({ id, type: 'wechatUser', code: 'hall' })
  return SwooleClient.connect(status.outside.port, `/?auth=${token}`)
}

describe('outside port, by default', () => {
  const daemon = useSharedDaemon()

  it('closes a connection that sends an unmasked frame with 1002', async () => {
    const client = await readmeClient(daemon().status, 'u1')
    client.push(README_MESSAGE)
    const close = await client.nextFrame()
    // FIN + close, two bytes: 1002 (protocol error), no reason.
    expect(close.bytes.toString('hex')).toBe('880203ea')
    await client.close()
  })
})

describe('outside port with outside.accept_unmasked_frames', () => {
  const daemon = useSharedDaemon({ outside: { accept_unmasked_frames: true } })

  it("answers the README's test client as the seed did", async () => {
    const client = await readmeClient(daemon().status, 'u1')
    client.push(README_MESSAGE)
    for (const expected of [ACK, DONE]) {
      const frame = await client.nextFrame()
      expect({ opcode: frame.opcode, masked: frame.masked, payload: frame.payload.toString('latin1') }).toEqual({
        opcode: 0x1,
        masked: false,
        payload: expected,
      })
    }
    // A 16-bit length, and a ping, both unmasked.
    const pad = 'x'.repeat(300)
    client.push(`{"method":"index.index.echo","pad":"${pad}"}`)
    expect((await client.nextFrame()).payload.toString('latin1')).toBe(ACK)
    expect(JSON.parse((await client.nextFrame()).payload.toString('utf8'))).toMatchObject({ event: 'echo', param: { pad } })
    client.socket.write(Buffer.from([0x89, 0x02, 0x68, 0x69]))
    expect((await client.nextFrame()).bytes.toString('hex')).toBe('8a026869')
    await client.close()
  })

  it('still reads masked frames (browsers, ws)', async () => {
    const { status } = daemon()
    const token = await mintToken({ id: 'u2', type: 'wechatUser', code: 'hall' })
    const client = await TestClient.connect(`ws://127.0.0.1:${status.outside.port}/?auth=${token}`)
    client.send(README_MESSAGE)
    expect(await client.nextFrame()).toBe(ACK)
    expect(await client.nextFrame()).toBe(DONE)
    client.close()
  })
})
