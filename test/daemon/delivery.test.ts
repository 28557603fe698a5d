import { describe, expect, it } from 'vitest'
import { withDaemon } from '../../src/ipc/client.js'
import { envelope } from '../../src/protocol/envelope.js'
import { startDaemon, useProjects } from '../helpers/cli.js'
import { mintToken, TestClient, type Envelope } from '../helpers/client.js'

const project = useProjects()

async function connect(port: number, id: number, code = 'wall'): Promise<TestClient> {
  return TestClient.connect(`ws://127.0.0.1:${port}/?auth=${await mintToken({ id, type: 'wechatUser', code })}`)
}

/** An info string that makes the whole envelope exactly `bytes` long, in multi-byte UTF-8 where it fits. */
function infoFor(bytes: number, event: string): string {
  const overhead = Buffer.byteLength(envelope(200, event, ''))
  const room = bytes - overhead
  const wide = Math.floor(room / 3)
  return '墙'.repeat(wide) + 'x'.repeat(room - wide * 3)
}

describe('delivery', () => {
  it('frames messages on every side of the WebSocket length encodings, byte for byte', async () => {
    const p = await project({ setting: { ack: false } })
    const { outside } = await startDaemon(p)
    const client = await connect(outside.port, 1)
    // 125 fits the 7-bit length, 126 and 65535 take 16 bits, 65536 and more take 64.
    for (const size of [60, 125, 126, 127, 65_535, 65_536, 200_000]) {
      const info = infoFor(size, 'sized')
      const result = await withDaemon(p.socket, (c) => c.call('push', { fd: 1, event: 'sized', info }))
      expect(result).toEqual({ delivered: 1, nodes: 0 })
      const frame = await client.nextFrame()
      expect(Buffer.byteLength(frame)).toBe(size)
      expect(JSON.parse(frame)).toEqual({ status: 200, event: 'sized', info })
    }
    client.close()
  })

  it('delivers a burst of broadcasts to every member once each and in order', async () => {
    const p = await project({ setting: { ack: false } })
    const { outside } = await startDaemon(p)
    const members = await Promise.all([1, 2, 3].map((id) => connect(outside.port, id)))
    const outsider = await connect(outside.port, 4, 'elsewhere')
    const count = 300
    // All in flight at once on one control connection, so the daemon handles many in one turn.
    const results = await withDaemon(p.socket, (c) =>
      Promise.all(Array.from({ length: count }, (_, i) => c.call('broadcast', { room: 'wall', event: 'tick', info: String(i), param: { i } }))),
    )
    expect(results.every((r) => r.delivered === 3)).toBe(true)
    for (const member of members) {
      const seen: number[] = []
      for (let i = 0; i < count; i++) seen.push(((await member.next('tick')) as Envelope & { param: { i: number } }).param.i)
      expect(seen).toEqual(Array.from({ length: count }, (_, i) => i))
    }
    // The outsider got none of them: the next thing it sees is a push sent after the burst.
    await withDaemon(p.socket, (c) => c.call('push', { fd: 4, event: 'after', info: '' }))
    expect(JSON.parse(await outsider.nextFrame())).toMatchObject({ event: 'after' })
    for (const c of [...members, outsider]) c.close()
  })
})
