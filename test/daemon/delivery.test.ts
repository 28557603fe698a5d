import { describe, expect, it } from 'vitest'
import { withDaemon } from '../../src/ipc/client.js'
import { envelope } from '../../src/protocol/envelope.js'
import { useSharedDaemon } from '../helpers/cli.js'
import { mintToken, TestClient, type Envelope } from '../helpers/client.js'

/** A client of room `code` and its fd, as the sample app's echo reports it. */
async function connect(port: number, id: number, code: string): Promise<{ client: TestClient; fd: number }> {
  const client = await TestClient.connect(`ws://127.0.0.1:${port}/?auth=${await mintToken({ id, type: 'wechatUser', code })}`)
  const fd = ((await client.ask({ method: 'index.index.echo' }, 'echo')).param as { fd: number }).fd
  return { client, fd }
}

/** An info string that makes the whole envelope exactly `bytes` long, with a wide character (\\uXXXX in the seed's format) where it fits. */
function infoFor(bytes: number, event: string): string {
  const overhead = Buffer.byteLength(envelope(200, event, ''))
  const wideBytes = Buffer.byteLength(envelope(200, event, '墙')) - overhead
  const room = bytes - overhead
  const wide = Math.floor(room / wideBytes)
  return '墙'.repeat(wide) + 'x'.repeat(room - wide * wideBytes)
}

// One daemon for both tests: each works with clients, rooms and uids of its own.
describe('delivery', () => {
  const daemon = useSharedDaemon({ setting: { ack: false } })

  it('frames messages on every side of the WebSocket length encodings, byte for byte', async () => {
    const { project, status } = daemon()
    const { client, fd } = await connect(status.outside.port, 101, 'delivery-sized')
    // 125 fits the 7-bit length, 126 and 65535 take 16 bits, 65536 and more take 64.
    for (const size of [60, 125, 126, 127, 65_535, 65_536, 200_000]) {
      const info = infoFor(size, 'sized')
      const result = await withDaemon(project.socket, (c) => c.call('push', { fd, event: 'sized', info }))
      expect(result).toEqual({ delivered: 1, nodes: 0 })
      const frame = await client.nextFrame()
      expect(Buffer.byteLength(frame)).toBe(size)
      expect(JSON.parse(frame)).toEqual({ status: 200, event: 'sized', info })
    }
    client.close()
  })

  it('delivers a burst of broadcasts to every member once each and in order', async () => {
    const { project, status } = daemon()
    const members = await Promise.all([201, 202, 203].map(async (id) => (await connect(status.outside.port, id, 'delivery-burst')).client))
    const outsider = await connect(status.outside.port, 204, 'delivery-elsewhere')
    const count = 300
    // All in flight at once on one control connection, so the daemon handles many in one turn.
    const results = await withDaemon(project.socket, (c) =>
      Promise.all(
        Array.from({ length: count }, (_, i) =>
          c.call('broadcast', { room: 'delivery-burst', event: 'tick', info: String(i), param: { i } }),
        ),
      ),
    )
    expect(results.every((r) => r.delivered === 3)).toBe(true)
    for (const member of members) {
      const seen: number[] = []
      for (let i = 0; i < count; i++) seen.push(((await member.next('tick')) as Envelope & { param: { i: number } }).param.i)
      expect(seen).toEqual(Array.from({ length: count }, (_, i) => i))
    }
    // The outsider got none of them: the next thing it sees is a push sent after the burst.
    await withDaemon(project.socket, (c) => c.call('push', { fd: outsider.fd, event: 'after', info: '' }))
    expect(JSON.parse(await outsider.client.nextFrame())).toMatchObject({ event: 'after' })
    for (const c of [...members, outsider.client]) c.close()
  })
})
