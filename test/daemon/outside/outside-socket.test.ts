import { once } from 'node:events'
import { type AddressInfo, connect } from 'node:net'
import { afterEach, describe, expect, it, vi } from 'vitest'
import WebSocket, { WebSocketServer } from 'ws'
import { OutsideSocket, outsideSocketClass } from '../../../src/daemon/outside/outside-socket.js'

// ws builds a server's sockets with a null address; no network is involved here.
function serverSide<T extends WebSocket>(Socket: new (address: null, protocols: undefined, options: object) => T): T {
  return new Socket(null, undefined, {})
}

const servers: WebSocketServer[] = []
/** Each client's end, run before the servers close. */
const clients: Array<{ terminate(): void }> = []
afterEach(async () => {
  // Without client tracking the server's close waits for its sockets: the clients end first.
  for (const client of clients.splice(0)) client.terminate()
  await Promise.all(servers.splice(0).map((wss) => new Promise((resolve) => wss.close(resolve))))
})

/** A loopback server whose sockets are `Socket`, as the outside port sets ws up, and a client of it. */
async function pair(Socket: typeof OutsideSocket): Promise<{ client: WebSocket; server: OutsideSocket }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, autoPong: false, clientTracking: false, WebSocket: Socket })
  servers.push(wss)
  await once(wss, 'listening')
  const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`)
  clients.push(client)
  const [server] = (await once(wss, 'connection')) as [OutsideSocket]
  if (client.readyState !== WebSocket.OPEN) await once(client, 'open')
  return { client, server }
}

describe('OutsideSocket', () => {
  it('drops an error nobody listens to, where a plain ws socket throws it', () => {
    expect(() => serverSide(WebSocket).emit('error', new Error('bad frame'))).toThrow('bad frame')
    expect(serverSide(OutsideSocket).emit('error', new Error('bad frame'))).toBe(false)
  })

  it('still hands an error to a listener, and every other event as ws does', () => {
    const socket = serverSide(OutsideSocket)
    const seen: unknown[] = []
    socket.on('error', (err) => seen.push(err.message))
    socket.on('pong', (data) => seen.push(String(data)))
    expect(socket.emit('error', new Error('reset'))).toBe(true)
    expect(socket.emit('pong', Buffer.from('p'))).toBe(true)
    expect(seen).toEqual(['reset', 'p'])
  })

  it("answers a client's ping with a pong of the same data, with ws's autoPong off, and still emits 'ping'", async () => {
    const { client, server } = await pair(outsideSocketClass(1024))
    const heard = once(server, 'ping')
    const pong = once(client, 'pong')
    client.ping('are you there')
    expect(String((await pong)[0])).toBe('are you there')
    expect(String((await heard)[0])).toBe('are you there')
    expect(server.readyState).toBe(WebSocket.OPEN)
  })

  it('cuts a client that pings while it leaves more than its limit unread, instead of queueing the pong', async () => {
    // A limit below zero: any ping finds the client over it.
    const { client } = await pair(outsideSocketClass(-1))
    const closed = once(client, 'close')
    client.ping('flood')
    const [code] = (await closed) as [number]
    expect(code).toBe(1006)
  })

  it('reads a pong and the frame after it in one chunk, and the frames of later chunks, whole and in order', async () => {
    const wss = new WebSocketServer({
      host: '127.0.0.1',
      port: 0,
      autoPong: false,
      clientTracking: false,
      WebSocket: outsideSocketClass(1024),
    })
    servers.push(wss)
    await once(wss, 'listening')
    const raw = connect((wss.address() as AddressInfo).port, '127.0.0.1')
    clients.push({ terminate: () => raw.destroy() })
    const connected = once(wss, 'connection')
    raw.write(
      'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    )
    const [server] = (await connected) as [OutsideSocket]
    const heard: string[] = []
    server.on('pong', () => heard.push('pong'))
    server.on('message', (data) => heard.push(String(data)))
    // Client frames are masked; a zero mask leaves the payload as it is.
    const frame = (opcode: number, text: string) =>
      Buffer.concat([Buffer.from([0x80 | opcode, 0x80 | text.length, 0, 0, 0, 0]), Buffer.from(text)])
    raw.write(Buffer.concat([frame(0xa, ''), frame(0x1, 'after the pong')]))
    await vi.waitFor(() => expect(heard).toEqual(['pong', 'after the pong']))
    raw.write(frame(0xa, ''))
    const split = frame(0x1, 'split across chunks')
    raw.write(split.subarray(0, 9))
    await vi.waitFor(() => expect(heard).toHaveLength(3))
    raw.write(split.subarray(9))
    await vi.waitFor(() => expect(heard).toEqual(['pong', 'after the pong', 'pong', 'split across chunks']))
  })

  it('gives each outside port its own limit', () => {
    expect(outsideSocketClass(10).maxBufferedBytes).toBe(10)
    expect(outsideSocketClass(20).maxBufferedBytes).toBe(20)
    expect(OutsideSocket.maxBufferedBytes).toBe(4 * 1024 * 1024)
  })
})
