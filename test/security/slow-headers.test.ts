import { EventEmitter } from 'node:events'
import type { IncomingMessage } from 'node:http'
import net from 'node:net'
import type { Duplex } from 'node:stream'
import { describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { UpgradeAdmission } from '../../src/daemon/outside/admission.js'
import { useSharedDaemon } from '../helpers/cli.js'
import { mintToken, TestClient } from '../helpers/client.js'
import { poll } from '../helpers/poll.js'

/**
 * Connections that never finish their request line and headers: each holds a
 * socket (and, before these limits, held it for 60 to 90 s, Node's default
 * header deadline checked every 30 s) and was not counted by
 * outside.max_connections_per_ip, so one address could hold any number.
 */

/** Bounds each wait on the server: Node's own deadline would be far past it. */
const WAIT_MS = 20_000

interface RawSocket {
  socket: net.Socket
  /** What the server sent, once it has closed the socket. */
  closed: Promise<string>
}

/** A TCP connection that sends `request` (part of one) and then nothing. */
async function halfSent(port: number, request: string, localAddress = '127.0.0.1'): Promise<RawSocket> {
  const socket = net.connect({ port, host: '127.0.0.1', localAddress })
  let received = ''
  socket.on('data', (chunk: Buffer) => {
    received += chunk.toString('latin1')
  })
  // A reset (a socket the server cut at once) ends in 'close' like any other end.
  socket.on('error', () => undefined)
  const closed = new Promise<string>((resolve) => socket.once('close', () => resolve(received)))
  await new Promise<void>((resolve) => {
    socket.once('connect', resolve)
    socket.once('close', () => resolve())
  })
  if (request !== '' && !socket.destroyed) socket.write(request)
  return { socket, closed }
}

/** Ends a raw socket from our side and waits until the server has closed its side too. */
async function endRaw(raw: RawSocket): Promise<void> {
  raw.socket.end()
  await raw.closed
}

async function upgradeRequest(): Promise<string> {
  const token = await mintToken({ id: 1, type: 'wechatUser', code: 'room1' })
  // No blank line: the headers never end.
  return `GET /?auth=${token} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n`
}

type Attempt = { accepted: true; client: TestClient } | { accepted: false; status: number; message: string | undefined }

function attempt(url: string, localAddress: string): Promise<Attempt> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { localAddress })
    const client = new TestClient(ws)
    ws.on('unexpected-response', (_req, res) => {
      const message = res.headers.message
      resolve({ accepted: false, status: res.statusCode ?? 0, message: Array.isArray(message) ? message[0] : message })
      res.resume()
      ws.terminate()
    })
    ws.once('open', () => resolve({ accepted: true, client }))
    ws.on('error', reject)
  })
}

async function accepted(url: string, localAddress: string): Promise<TestClient> {
  const result = await attempt(url, localAddress)
  if (!result.accepted) throw new Error(`refused with ${result.status} (${result.message})`)
  return result.client
}

async function wsUrl(port: number): Promise<string> {
  return `ws://127.0.0.1:${port}/?auth=${await mintToken({ id: 1, type: 'wechatUser', code: 'room1' })}`
}

/** Closes clients and waits until each is closed. */
async function closeAll(clients: TestClient[]): Promise<void> {
  for (const client of clients) client.close()
  await Promise.all(clients.map((client) => client.closed()))
}

describe('outside.header_timeout and manager.header_timeout', () => {
  const shared = useSharedDaemon({ outside: { header_timeout: 1 }, manager: { header_timeout: 1 } })

  it('close a half-sent upgrade on the outside port with 408, and a complete one still opens', { timeout: WAIT_MS }, async () => {
    const { outside } = shared().status
    const raw = await halfSent(outside.port, await upgradeRequest())
    expect(await raw.closed).toMatch(/^HTTP\/1\.1 408 /)

    const client = await TestClient.connect(await wsUrl(outside.port))
    expect(await client.ask({ method: 'echo' }, 'echo')).toMatchObject({ status: 200 })
    await closeAll([client])
  })

  it('close a connection that never sends a byte, and a half-sent plain request', { timeout: WAIT_MS }, async () => {
    const { outside } = shared().status
    const silent = await halfSent(outside.port, '')
    const plain = await halfSent(outside.port, 'GET / HTTP/1.1\r\nHost: x\r\n')
    await silent.closed
    expect(await plain.closed).toMatch(/^HTTP\/1\.1 408 /)
  })

  it('close a half-sent request or upgrade on the manager port, and a complete request is still answered', {
    timeout: WAIT_MS,
  }, async () => {
    const { manager } = shared().status
    const request = await halfSent(manager.port, 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n')
    const upgrade = await halfSent(manager.port, 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n')
    await request.closed
    await upgrade.closed

    const res = await fetch(`http://127.0.0.1:${manager.port}/healthz`)
    expect(res.status).toBe(200)
    await res.body?.cancel()
  })
})

describe('outside.max_connections_per_ip counts connections still sending their headers', () => {
  // A long header deadline: only the cap may close these sockets. Each test uses addresses of its own.
  const capped = useSharedDaemon({ outside: { max_connections_per_ip: 3, header_timeout: 60 } })

  it('refuses a full upgrade from an address that holds the cap in half-sent sockets, and admits it once they close', {
    timeout: WAIT_MS,
  }, async () => {
    const { outside } = capped().status
    const url = await wsUrl(outside.port)
    const from = '127.0.0.5'
    const request = await upgradeRequest()
    const slow: RawSocket[] = []
    for (let i = 0; i < 3; i++) slow.push(await halfSent(outside.port, request, from))

    const over = await attempt(url, from)
    if (over.accepted) await closeAll([over.client])
    expect(over).toMatchObject({ accepted: false, status: 429, message: 'error connections' })
    // Another address is not affected.
    const neighbour = await accepted(url, '127.0.0.7')

    await Promise.all(slow.map(endRaw))
    const first = await poll(
      () => attempt(url, from),
      (result) => result.accepted,
    )
    if (!first.accepted) throw new Error(`still refused with ${first.status} once the half-sent sockets closed`)
    // The slots came back exactly: two more, then the cap.
    const more = [await accepted(url, from), await accepted(url, from)]
    expect(await attempt(url, from)).toMatchObject({ accepted: false, status: 429 })
    expect(await first.client.ask({ method: 'echo' }, 'echo')).toMatchObject({ status: 200 })
    await closeAll([first.client, ...more, neighbour])
  })

  it('closes at once the half-sent sockets of an address past twice its cap, and leaks no slot', { timeout: WAIT_MS }, async () => {
    const { outside } = capped().status
    const url = await wsUrl(outside.port)
    const from = '127.0.0.6'
    const request = await upgradeRequest()
    const flood: RawSocket[] = []
    for (let i = 0; i < 20; i++) flood.push(await halfSent(outside.port, request, from))

    // Three hold the address's slots and three more may wait to hear a 429; the rest are cut unanswered.
    const cut = await Promise.all(flood.slice(6).map((raw) => raw.closed))
    expect(cut.every((received) => received === '')).toBe(true)
    expect(flood.slice(0, 6).map((raw) => raw.socket.destroyed)).toEqual([false, false, false, false, false, false])

    await Promise.all(flood.slice(0, 6).map(endRaw))
    const first = await poll(
      () => attempt(url, from),
      (result) => result.accepted,
    )
    if (!first.accepted) throw new Error(`still refused with ${first.status} once the flood closed`)
    const more = [await accepted(url, from), await accepted(url, from)]
    expect(await attempt(url, from)).toMatchObject({ accepted: false, status: 429 })
    await closeAll([first.client, ...more])
  })
})

describe('UpgradeAdmission.accept', () => {
  /** Stands in for a socket: the admission only listens for its 'close'. */
  const fakeSocket = () => new EventEmitter() as unknown as Duplex
  const upgradeOn = (socket: Duplex) => ({ url: '/', headers: {}, socket }) as unknown as IncomingMessage

  it('counts a socket once from accept to close, whether or not it upgrades, and gives every slot back', () => {
    const admission = new UpgradeAdmission({ allowedOrigins: [], maxConnectionsPerIp: 2, connectionsPerSecondPerIp: 0, maxUrlLength: 4096 })
    const [s0, s1, s2, s3, s4] = Array.from({ length: 5 }, fakeSocket) as [Duplex, Duplex, Duplex, Duplex, Duplex]
    // Two slots, two more waiting to hear their 429, and the fifth is closed at once.
    expect([s0, s1, s2, s3, s4].map((socket) => admission.accept(socket, 'a'))).toEqual([true, true, true, true, false])

    // An accepted socket's upgrade keeps its slot rather than taking another.
    const upgraded = admission.check(upgradeOn(s0), 'a', 0)
    expect(upgraded.ok).toBe(true)
    if (upgraded.ok) s0.once('close', () => upgraded.release?.())
    // One accepted past the cap is refused while the cap is full...
    expect(admission.check(upgradeOn(s2), 'a', 0)).toMatchObject({ ok: false, check: 'connections' })
    // ...and admitted into a slot that frees before its upgrade.
    s1.emit('close')
    const late = admission.check(upgradeOn(s3), 'a', 0)
    expect(late.ok).toBe(true)
    if (late.ok) s3.once('close', () => late.release?.())
    expect(admission.tracked).toMatchObject({ connections: 1, overCap: 1 })

    // Closes (twice, even) free each slot once: nothing goes below zero, nothing is left.
    for (const socket of [s0, s0, s1, s2, s3, s3]) socket.emit('close')
    expect(admission.tracked).toMatchObject({ connections: 0, overCap: 0 })
    const again = Array.from({ length: 3 }, fakeSocket)
    expect(again.map((socket) => admission.accept(socket, 'a'))).toEqual([true, true, true])
    for (const socket of again) socket.emit('close')
    expect(admission.tracked).toMatchObject({ connections: 0, overCap: 0 })

    // A trusted proxy's sockets are not accepted by the proxy's address: each upgrade is counted by the address it forwards.
    const forwarded = admission.check(upgradeOn(fakeSocket()), '198.51.100.7', 0)
    expect(forwarded.ok).toBe(true)
    expect(admission.check(upgradeOn(fakeSocket()), '198.51.100.7', 0)).toMatchObject({ ok: true })
    expect(admission.check(upgradeOn(fakeSocket()), '198.51.100.7', 0)).toMatchObject({ ok: false, check: 'connections' })
    expect(admission.check(upgradeOn(fakeSocket()), '198.51.100.8', 0).ok).toBe(true)
    if (forwarded.ok) forwarded.release?.()
    expect(admission.check(upgradeOn(fakeSocket()), '198.51.100.7', 0).ok).toBe(true)
  })
})
