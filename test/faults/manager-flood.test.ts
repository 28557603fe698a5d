import { request, type IncomingMessage } from 'node:http'
import { connect, type Socket } from 'node:net'
import { once } from 'node:events'
import { describe, expect, it } from 'vitest'
import { cli, startDaemon, useProjects } from '../helpers/cli.js'
import { mintToken, TestClient } from '../helpers/client.js'
import { closedLoop } from '../helpers/closed-loop.js'
import { within } from '../helpers/poll.js'

const KEY = 'manager-key-for-flood-tests'
const KEYLESS = 500
const HALF_OPEN = 200
const OVERSIZED = 50
const OVERSIZED_BYTES = 2 * 1024 * 1024
const FLOOD_DEADLINE_MS = 60_000

const project = useProjects()

/** What one flood request came to: an HTTP status, or cut (the connection ended without one). */
type Outcome = number | 'cut'

function keyless(port: number, path: string): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET', agent: false }, (res: IncomingMessage) => {
      res.resume()
      resolve(res.statusCode ?? 0)
    })
    req.on('error', () => resolve('cut'))
    req.end()
  })
}

function oversized(port: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/rpc',
        method: 'POST',
        agent: false,
        headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json', 'content-length': String(OVERSIZED_BYTES) },
      },
      (res: IncomingMessage) => {
        res.resume()
        resolve(res.statusCode ?? 0)
      },
    )
    req.on('error', () => resolve('cut'))
    req.end(Buffer.alloc(OVERSIZED_BYTES, 0x20))
  })
}

/** A connection that sends half a request line and then holds. */
async function halfOpen(port: number): Promise<Socket> {
  const socket = connect({ host: '127.0.0.1', port })
  socket.on('error', () => undefined)
  await once(socket, 'connect')
  socket.write('GET /api/status HTT')
  return socket
}

async function healthz(port: number): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}/healthz`)
  await res.arrayBuffer()
  return res.status
}

describe('a flood on the manager port', () => {
  it('refuses the flood and keeps serving the outside port and the health check', { timeout: 90_000 }, async () => {
    // Closed-loop clients outrun the default per-connection message rate (50/s): lift it.
    const p = await project({ manager: { key: KEY }, setting: { max_messages_per_second: 1_000_000 } })
    const { outside, manager } = await startDaemon(p)
    const client = await TestClient.connect(
      `ws://127.0.0.1:${outside.port}/?auth=${await mintToken({ id: 1, type: 'wechatUser', code: 'room1' })}`,
    )
    const loop = closedLoop(client, { method: 'index.index.index' }, 'success')

    const held: Socket[] = []
    try {
      for (let i = 0; i < HALF_OPEN; i++) held.push(await halfOpen(manager.port))
      const flood = Promise.all([
        ...Array.from({ length: KEYLESS }, (_, i) => keyless(manager.port, i % 2 === 0 ? '/api/status' : `/probe/${i}`)),
        ...Array.from({ length: OVERSIZED }, () => oversized(manager.port)),
      ])
      // While the flood is in flight (and the half-open connections are held), health still answers.
      expect(await healthz(manager.port)).toBe(200)
      const outcomes = await within(flood, FLOOD_DEADLINE_MS, 'the flood requests')

      const keylessOutcomes = outcomes.slice(0, KEYLESS)
      const oversizedOutcomes = outcomes.slice(KEYLESS)
      for (const outcome of keylessOutcomes) expect([401, 'cut']).toContain(outcome)
      for (const outcome of oversizedOutcomes) expect([413, 'cut']).toContain(outcome)
      // Most were answered rather than cut: the port did refuse them, not just drop them.
      expect(keylessOutcomes.filter((o) => o === 401).length).toBeGreaterThan(0)
      expect(await healthz(manager.port)).toBe(200)
    } finally {
      for (const socket of held) socket.destroy()
    }

    await within(loop.stop(), 10_000, 'the last outside reply')
    expect(loop.error).toBeUndefined()
    expect(loop.answered).toBe(loop.sent)
    expect(loop.answered).toBeGreaterThan(0)

    expect(await healthz(manager.port)).toBe(200)
    const status = await cli(p, ['status'])
    expect(status.exitCode, status.stderr).toBe(0)
    client.close()
    await client.closed()
  })
})
