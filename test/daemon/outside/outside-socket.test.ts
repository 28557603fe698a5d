import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import WebSocket, { WebSocketServer } from 'ws'
import { OutsideSocket, outsideSocketClass } from '../../../src/daemon/outside/outside-socket.js'

// ws builds a server's sockets with a null address; no network is involved here.
function serverSide<T extends WebSocket>(Socket: new (address: null, protocols: undefined, options: object) => T): T {
  return new Socket(null, undefined, {})
}

const servers: WebSocketServer[] = []
const clients: WebSocket[] = []
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

  it('gives each outside port its own limit', () => {
    expect(outsideSocketClass(10).maxBufferedBytes).toBe(10)
    expect(outsideSocketClass(20).maxBufferedBytes).toBe(20)
    expect(OutsideSocket.maxBufferedBytes).toBe(4 * 1024 * 1024)
  })
})
