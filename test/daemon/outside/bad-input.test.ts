import net from 'node:net'
import { once } from 'node:events'
import { describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import type { ConnectionsListResult } from '../../../src/contracts/control-api.js'
import { cliJson, useSharedDaemon } from '../../helpers/cli.js'
import { mintToken, TestClient } from '../../helpers/client.js'
import { poll } from '../../helpers/poll.js'
import { readLogLines } from '../../helpers/project.js'

async function url(port: number, code = 'room1'): Promise<string> {
  return `ws://127.0.0.1:${port}/?auth=${await mintToken({ id: 1, type: 'wechatUser', code })}`
}

describe('bad input from a client', () => {
  describe('at a daemon with small message and rate limits', () => {
    // Each test works on connections of its own, and the rate limit is per connection.
    const strict = useSharedDaemon({ setting: { max_message_size: 1024, max_messages_per_second: 5, ack: false } })

    it('answers invalid UTF-8 with 400 and closes with 1007', async () => {
      const { outside } = strict().status
      const c = await TestClient.connect(await url(outside.port))
      c.ws.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false })
      expect(JSON.parse(await c.nextFrame())).toMatchObject({ status: 400, event: 'badRequest' })
      expect((await c.closed()).code).toBe(1007)
    })

    it('answers a frame over max_message_size with 413, then closes with 1009', async () => {
      const { outside } = strict().status
      const c = await TestClient.connect(await url(outside.port))
      const neighbour = await TestClient.connect(await url(outside.port))
      c.send({ method: 'echo', blob: 'x'.repeat(4096) })
      expect(JSON.parse(await c.nextFrame())).toMatchObject({ status: 413, event: 'messageTooLarge' })
      expect((await c.closed()).code).toBe(1009)
      expect(await neighbour.ask({ method: 'echo' }, 'echo')).toMatchObject({ status: 200 })
      neighbour.close()
    })

    it('refuses a flood with 429, then disconnects it with 1008', async () => {
      const { outside } = strict().status
      const c = await TestClient.connect(await url(outside.port))
      // Sent in one burst, so all of them land in the same one-second window.
      for (let i = 0; i < 11; i++) c.send({ method: 'echo', i })
      const closed = await c.closed()
      expect(closed.code).toBe(1008)
      expect(c.frames.map((f) => JSON.parse(f).status)).toContain(429)
    })
  })

  describe('at a daemon with generous message limits and a small output buffer', () => {
    const roomy = useSharedDaemon({
      setting: { max_messages_per_second: 1000, max_message_size: 1048576, max_buffered_bytes: 65536, ack: false },
    })

    it('gets a 400 for each malformed frame while the connection and its neighbours carry on', async () => {
      const { outside } = roomy().status
      const c = await TestClient.connect(await url(outside.port))
      const neighbour = await TestClient.connect(await url(outside.port))
      const cases: Array<[string | Buffer, string]> = [
        ['{not json', 'not valid JSON'],
        ['[1,2]', 'JSON object'],
        ['42', 'JSON object'],
        ['{"method": 5}', 'method must be a string'],
        ['{"method": "echo", "__proto__": {"admin": true}}', '__proto__'],
        ['{"method": "echo", "x": {"constructor": {"prototype": 1}}}', 'constructor'],
        ['{"method": "index.index.constructor"}', 'forbidden'],
        ['{"a":'.repeat(40) + '1' + '}'.repeat(40), 'nests deeper'],
      ]
      for (const [frame, why] of cases) {
        c.send(frame)
        const reply = JSON.parse(await c.nextFrame())
        expect(reply, String(frame)).toMatchObject({ status: 400, event: 'badRequest' })
        expect(reply.info, String(frame)).toContain(why)
      }
      c.ws.send(Buffer.from([1, 2, 3]), { binary: true })
      expect(JSON.parse(await c.nextFrame())).toMatchObject({ status: 400, info: expect.stringContaining('binary') })
      expect(await c.ask({ method: 'echo' }, 'echo')).toMatchObject({ status: 200 })
      expect(await neighbour.ask({ method: 'echo' }, 'echo')).toMatchObject({ status: 200 })
      c.close()
      neighbour.close()
    })

    it('cuts a client that stops reading once its buffered output passes max_buffered_bytes', async () => {
      const {
        project: p,
        status: { outside },
      } = roomy()
      // A raw client that completes the upgrade into room "slow" and then never reads.
      const token = await mintToken({ id: 9, type: 'wechatUser', code: 'slow' })
      const raw = net.connect(outside.port, '127.0.0.1')
      await once(raw, 'connect')
      raw.write(
        `GET /?auth=${token} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
      )
      await once(raw, 'data')
      raw.pause()
      const rawClosed = once(raw, 'close')
      raw.on('error', () => undefined)

      const talker = await TestClient.connect(await url(outside.port, 'slow'))
      const blob = 'y'.repeat(900_000)
      // Bounded: 40 × 900 KB is far more than loopback's socket buffers hold.
      for (let i = 0; i < 40; i++) talker.send({ method: 'say', room: 'slow', text: blob })
      // The talker's messages are handled in order, so once its echo is back every send was tried.
      await talker.ask({ method: 'echo' }, 'echo')
      // Room "slow" is this test's own: of its two connections only the talker is left.
      const slow = await cliJson<ConnectionsListResult>(p, ['conn', 'ls', '--room', 'slow'])
      expect(slow.json.total).toBe(1)
      expect(talker.ws.readyState).toBe(WebSocket.OPEN)
      // Reading again, the slow client finds the end of a connection the server has cut.
      raw.resume()
      await rawClosed
      talker.close()
      const cut = (lines: Array<Record<string, unknown>>): boolean => lines.some((line) => line.msg === 'client too slow, disconnected')
      expect(cut(await poll(() => readLogLines(p), cut))).toBe(true)
    })
  })
})
