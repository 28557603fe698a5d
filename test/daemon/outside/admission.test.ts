import net from 'node:net'
import { once } from 'node:events'
import { describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { cli, cliJson, startDaemon, useProjects, useSharedDaemon } from '../../helpers/cli.js'
import { mintToken, TestClient } from '../../helpers/client.js'
import { poll } from '../../helpers/poll.js'
import { readLogLines } from '../../helpers/project.js'

const project = useProjects()

type Attempt =
  | { accepted: true; client: TestClient }
  | { accepted: false; status: number; headers: Record<string, string | string[] | undefined> }

/** One upgrade: the open client, or the status and headers it was refused with. */
function attempt(url: string, options: WebSocket.ClientOptions = {}): Promise<Attempt> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options)
    const client = new TestClient(ws)
    ws.on('unexpected-response', (_req, res) => {
      resolve({ accepted: false, status: res.statusCode ?? 0, headers: res.headers })
      res.resume()
      ws.terminate()
    })
    ws.once('open', () => resolve({ accepted: true, client }))
    ws.on('error', (err) => reject(err))
  })
}

async function accepted(url: string, options: WebSocket.ClientOptions = {}): Promise<TestClient> {
  const result = await attempt(url, options)
  if (!result.accepted) throw new Error(`refused with ${result.status} (${String(result.headers.message)})`)
  return result.client
}

async function refused(url: string, options: WebSocket.ClientOptions = {}): Promise<Extract<Attempt, { accepted: false }>> {
  const result = await attempt(url, options)
  if (result.accepted) {
    result.client.ws.terminate()
    throw new Error(`${url} was accepted`)
  }
  return result
}

/** Sends raw bytes and reads what comes back until the server closes the socket. */
async function rawExchange(port: number, request: string, localAddress = '127.0.0.1'): Promise<string> {
  const socket = net.connect({ port, host: '127.0.0.1', localAddress })
  await once(socket, 'connect')
  let received = ''
  socket.on('data', (chunk: Buffer) => {
    received += chunk.toString('latin1')
  })
  socket.on('error', () => undefined)
  socket.write(request)
  await once(socket, 'close')
  return received
}

async function wsUrl(port: number, extra = ''): Promise<string> {
  return `ws://127.0.0.1:${port}/?auth=${await mintToken({ id: 1, type: 'wechatUser', code: 'room1' })}${extra}`
}

describe('outside.allowed_origins', () => {
  it('refuses other origins with 403 "message: error origin" before auth, and lets allowed, wildcard and Origin-less clients in', async () => {
    const p = await project({
      log: { level: 'debug' },
      outside: { allowed_origins: ['https://wall.example.com', 'https://*.events.example.org', 'http://localhost:8080'] },
    })
    const { outside } = await startDaemon(p)
    const url = await wsUrl(outside.port)
    const neighbour = await accepted(url, { origin: 'https://wall.example.com' })

    // No Origin header: not a browser (the seed's PHP client, a backend), so not the check's concern.
    const plain = await accepted(url)
    expect(await plain.ask({ method: 'echo' }, 'echo')).toMatchObject({ status: 200 })
    plain.close()
    for (const origin of [
      'https://WALL.example.com',
      'https://a.events.example.org',
      'https://x.y.events.example.org',
      'http://localhost:8080',
    ]) {
      const c = await accepted(url, { origin })
      expect(await c.ask({ method: 'echo' }, 'echo'), origin).toMatchObject({ status: 200 })
      c.close()
    }

    for (const origin of [
      'https://evil.example.com',
      'http://wall.example.com', // another scheme
      'https://wall.example.com:8443', // another port
      'https://events.example.org', // the wildcard's parent itself
      'https://wall.example.com.evil.net',
      'https://xevents.example.org',
      'http://localhost:8081',
      'null',
    ]) {
      const { status, headers } = await refused(url, { origin })
      expect(status, origin).toBe(403)
      expect(headers.message, origin).toBe('error origin')
    }
    // Checked before the token: no token and a foreign origin reads "error origin", not "error auth".
    const noToken = await refused(`ws://127.0.0.1:${outside.port}/`, { origin: 'https://evil.example.com' })
    expect(noToken.headers.message).toBe('error origin')

    expect(await neighbour.ask({ method: 'echo' }, 'echo')).toMatchObject({ status: 200 })
    neighbour.close()
    await cliJson(p, ['stop'])
    const refusals = (await readLogLines(p)).filter((line) => line.msg === 'upgrade refused: origin')
    expect(refusals.length).toBe(9)
    const refusal = { level: 'debug', ip: '127.0.0.1', reason: expect.stringContaining('not allowed') }
    for (const line of refusals) expect(line).toMatchObject(refusal)
  })

  it('refuses a malformed entry at start, naming the key', async () => {
    const p = await project({ outside: { allowed_origins: ['https://ok.example.com', 'example.com'] } })
    const result = await cli(p, ['start'])
    expect(result.exitCode).toBe(1)
    expect(result.stderr).toContain(
      'app.json: outside.allowed_origins.1: expected an origin such as "https://example.com" or "https://*.example.com", got "example.com"',
    )
    expect(result.stderr).toContain('MSW_ERR_CONFIG_INVALID')
  })
})

describe('outside.max_connections_per_ip', () => {
  // The cap is per address: each test connects from addresses no other test uses, and closes what it opened.
  const capped = useSharedDaemon({ outside: { max_connections_per_ip: 2 } })

  it('refuses an address over its cap with 429 "message: error connections", frees the slot on close, and leaves others alone', async () => {
    const { outside } = capped().status
    const url = await wsUrl(outside.port)
    const from2 = { localAddress: '127.0.0.2' }
    const a = await accepted(url, from2)
    const b = await accepted(url, from2)

    const over = await refused(url, from2)
    expect(over.status).toBe(429)
    expect(over.headers.message).toBe('error connections')
    expect(over.headers['retry-after']).toBeUndefined()

    // Another address has its own count.
    const other = await accepted(url, { localAddress: '127.0.0.3' })
    // The refusal disturbed neither the address's open connections nor anyone else's.
    expect(await a.ask({ method: 'echo' }, 'echo')).toMatchObject({ status: 200 })
    expect(await b.ask({ method: 'echo' }, 'echo')).toMatchObject({ status: 200 })
    expect(await other.ask({ method: 'echo' }, 'echo')).toMatchObject({ status: 200 })

    // Closing one frees its slot once the server's side of the socket is gone.
    a.close()
    await a.closed()
    const result = await poll(
      () => attempt(url, from2),
      (r) => r.accepted,
    )
    expect(result.accepted).toBe(true)
    if (result.accepted) expect(await result.client.ask({ method: 'echo' }, 'echo')).toMatchObject({ status: 200 })
    // And the address is full again.
    expect((await refused(url, from2)).status).toBe(429)
    for (const c of [b, other, ...(result.accepted ? [result.client] : [])]) c.close()
  })

  it('does not count upgrades that auth refused', async () => {
    const { outside } = capped().status
    const from4 = { localAddress: '127.0.0.4' }
    for (let i = 0; i < 5; i++) {
      const { status, headers } = await refused(`ws://127.0.0.1:${outside.port}/?auth=not-a-token`, from4)
      expect(status).toBe(403)
      expect(headers.message).toBe('error auth')
    }
    const url = await wsUrl(outside.port)
    const a = await accepted(url, from4)
    const b = await accepted(url, from4)
    expect((await refused(url, from4)).headers.message).toBe('error connections')
    a.close()
    b.close()
  })
})

describe('outside.connections_per_second_per_ip', () => {
  it('answers a burst over the rate with 429 and retry-after, lets the rate through, and leaves open connections and other addresses alone', async () => {
    const p = await project({ log: { level: 'debug' }, outside: { connections_per_second_per_ip: 2 } })
    const { outside } = await startDaemon(p)
    const url = await wsUrl(outside.port)
    const neighbour = await accepted(url, { localAddress: '127.0.0.7' })

    const burst = await Promise.all(Array.from({ length: 6 }, () => attempt(url, { localAddress: '127.0.0.5' })))
    const opened = burst.filter((r): r is Extract<Attempt, { accepted: true }> => r.accepted)
    const limited = burst.filter((r): r is Extract<Attempt, { accepted: false }> => !r.accepted)
    // The bucket holds 2; it may refill a little while the burst is in flight.
    expect(opened.length).toBeGreaterThanOrEqual(2)
    expect(limited.length).toBeGreaterThanOrEqual(1)
    for (const r of limited) {
      expect(r.status).toBe(429)
      expect(r.headers.message).toBe('error rate')
      expect(r.headers['retry-after']).toMatch(/^[1-9]\d*$/)
    }
    for (const r of opened) expect(await r.client.ask({ method: 'echo' }, 'echo')).toMatchObject({ status: 200 })

    // Another address has its own bucket, and the open connections keep being served.
    const other = await accepted(url, { localAddress: '127.0.0.6' })
    expect(await other.ask({ method: 'echo' }, 'echo')).toMatchObject({ status: 200 })
    expect(await neighbour.ask({ method: 'echo' }, 'echo')).toMatchObject({ status: 200 })
    for (const r of opened) r.client.close()
    other.close()
    neighbour.close()

    await cliJson(p, ['stop'])
    const lines = await readLogLines(p)
    const logged = lines.filter((line) => line.msg === 'upgrade refused: rate')
    expect(logged.length).toBe(limited.length)
    for (const line of logged) expect(line).toMatchObject({ level: 'debug', ip: '127.0.0.5' })
    // No refusal is logged above debug.
    const loud = ['warn', 'error', 'fatal']
    expect(lines.filter((line) => loud.includes(String(line.level)) && String(line.msg).includes('refused'))).toEqual([])
  })
})

describe('handshake size limits', () => {
  it('answers an over-long URL with 414 and oversize headers with 431, and serves requests within the limits', async () => {
    const p = await project({ outside: { max_url_length: 1024, max_header_size: 4096 } })
    const { outside } = await startDaemon(p)
    const url = await wsUrl(outside.port)
    const neighbour = await accepted(url)

    const target = (u: string) => new URL(u).pathname + new URL(u).search
    const withinUrl = `${url}&pad=${'x'.repeat(1000 - target(url).length - '&pad='.length)}`
    expect(target(withinUrl).length).toBe(1000)
    const within = await accepted(withinUrl)
    expect(await within.ask({ method: 'echo' }, 'echo')).toMatchObject({ status: 200 })
    within.close()

    const long = await refused(`${url}&pad=${'x'.repeat(1100)}`)
    expect(long.status).toBe(414)
    expect(long.headers.message).toBe('error url')

    const path = target(url)
    const upgrade = (extra: string) =>
      `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`
    const big = await rawExchange(outside.port, upgrade(`X-Pad: ${'y'.repeat(8000)}\r\n`))
    expect(big.split('\r\n')[0]).toBe('HTTP/1.1 431 Request Header Fields Too Large')
    // A plain HTTP request over the limit is answered the same way.
    const bigGet = await rawExchange(outside.port, `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: ${'y'.repeat(8000)}\r\n\r\n`)
    expect(bigGet.split('\r\n')[0]).toBe('HTTP/1.1 431 Request Header Fields Too Large')
    const garbage = await rawExchange(outside.port, 'NOT HTTP AT ALL\r\n\r\n')
    expect(garbage.split('\r\n')[0]).toBe('HTTP/1.1 400 Bad Request')

    expect(await neighbour.ask({ method: 'echo' }, 'echo')).toMatchObject({ status: 200 })
    neighbour.close()
  })
})
