import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import net from 'node:net'
import { fc, it } from '@fast-check/vitest'
import { describe, expect } from 'vitest'
import { within } from '../helpers/poll.js'
import { objectText, oddMessage, oddString } from './arbitraries.js'
import { fuzzOnce, sendFramed } from './exchange.js'
import { afterFuzz, checkpoint, HANG_MS, useFuzzDaemon, type FuzzDaemon } from './harness.js'
import { expectBinary, expectEnvelope, expectText, leakedInternals, MAX_MESSAGE_SIZE } from './outside-model.js'
import { closePayload, encodeFrame, RawWsClient, readHead, type ClientFrame } from './raw-ws.js'

/**
 * Frames rather than messages: binary frames, text that is not UTF-8, frames
 * at and past the size limit, and raw bytes after the upgrade that break the
 * WebSocket framing itself (bad opcodes, unmasked frames, truncated frames).
 */

const daemon = useFuzzDaemon({ setting: { max_message_size: MAX_MESSAGE_SIZE, max_messages_per_second: 100_000 } })
const PROPERTY_TIMEOUT = 120_000

const fragments = fc.integer({ min: 1, max: 4 })

/** Byte sequences that are never valid UTF-8: stray continuation, overlong, surrogate, past U+10FFFF, cut short. */
const invalidUtf8 = fc.constantFrom(
  [0x80],
  [0xbf],
  [0xc0, 0x80],
  [0xc1, 0xbf],
  [0xe0, 0x80, 0x80],
  [0xed, 0xa0, 0x80],
  [0xed, 0xbf, 0xbf],
  [0xf4, 0x90, 0x80, 0x80],
  [0xf5, 0x80, 0x80, 0x80],
  [0xf8, 0x88, 0x80, 0x80, 0x80],
  [0xfe],
  [0xff],
  [0xe2, 0x82],
  [0xf0, 0x9f, 0x98],
)

const textBytes: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.uint8Array({ maxLength: 200 }),
  fc.string({ unit: 'binary', maxLength: 60 }).map((s) => new Uint8Array(Buffer.from(s, 'utf8'))),
  fc.tuple(oddMessage, invalidUtf8, fc.nat()).map(([members, bad, at]) => {
    const good = Buffer.from(objectText(members), 'utf8')
    const cut = at % (good.length + 1)
    return new Uint8Array(Buffer.concat([good.subarray(0, cut), Buffer.from(bad), good.subarray(cut)]))
  }),
)

describe('the outside port under fuzzed frames', () => {
  it.prop(
    [
      fc.oneof(
        fc.uint8Array({ maxLength: 300 }),
        oddMessage.map((m) => new Uint8Array(Buffer.from(objectText(m)))),
      ),
      fragments,
    ],
    { numRuns: 80 },
  )(
    'refuses a binary frame with 400 and keeps the connection, even when it holds a valid JSON message',
    async (bytes, count) => {
      const d = daemon()
      await fuzzOnce(
        d,
        (c) => sendFramed(c, { bytes, binary: true, fragments: count }),
        expectBinary(bytes.length),
        Buffer.from(bytes).toString('latin1'),
      )
      await checkpoint(d)
    },
    PROPERTY_TIMEOUT,
  )

  it.prop([textBytes, fragments], { numRuns: 120 })(
    'answers a text frame of invalid UTF-8 with 400 then closes it with 1007; valid text is read as a message',
    async (bytes, count) => {
      const d = daemon()
      await fuzzOnce(
        d,
        (c) => sendFramed(c, { bytes, binary: false, fragments: count }),
        expectText(bytes),
        Buffer.from(bytes).toString('latin1'),
      )
      await checkpoint(d)
    },
    PROPERTY_TIMEOUT,
  )

  it.prop(
    [
      fc.record({
        size: fc.oneof(
          fc.integer({ min: MAX_MESSAGE_SIZE - 3, max: MAX_MESSAGE_SIZE + 3 }),
          fc.integer({ min: MAX_MESSAGE_SIZE + 1, max: 8 * MAX_MESSAGE_SIZE }),
        ),
        binary: fc.boolean(),
        fragments,
      }),
    ],
    { numRuns: 60 },
  )(
    'lets a message of max_message_size bytes through, and answers one byte more with 413 then close 1009, fragmented or not',
    async ({ size, binary, fragments: count }) => {
      const d = daemon()
      // A routable message padded to exactly `size` bytes.
      const head = '{"method":"index.index.index","pad":"'
      const text = `${head}${'x'.repeat(size - head.length - 2)}"}`
      const bytes = new Uint8Array(Buffer.from(text))
      expect(bytes.length).toBe(size)
      const expectation = binary ? expectBinary(size) : expectText(bytes)
      if (size > MAX_MESSAGE_SIZE) expect(expectation).toMatchObject({ kind: 'closed', status: 413 })
      else expect(expectation).toMatchObject({ kind: 'answer' })
      await fuzzOnce(d, (c) => sendFramed(c, { bytes, binary, fragments: count }), expectation, '')
      await checkpoint(d)
    },
    PROPERTY_TIMEOUT,
  )
})

/** A complete, valid client frame of a kind the server accepts on its own. */
const validFrame: fc.Arbitrary<ClientFrame> = fc.oneof(
  oddMessage.map((m) => ({ opcode: 0x1, payload: new Uint8Array(Buffer.from(objectText(m))) })),
  fc.constant({ opcode: 0x1, payload: new Uint8Array(Buffer.from('2')) }),
  fc.uint8Array({ maxLength: 200 }).map((payload) => ({ opcode: 0x2, payload })),
  fc.uint8Array({ maxLength: 125 }).map((payload) => ({ opcode: 0x9, payload })),
  fc.uint8Array({ maxLength: 125 }).map((payload) => ({ opcode: 0xa, payload })),
)

const mask = fc.uint8Array({ minLength: 4, maxLength: 4 })
const junk = fc.uint8Array({ maxLength: 64 })

/** Framing a server must refuse, each with the close code RFC 6455 gives it. */
const violation: fc.Arbitrary<{ bytes: Uint8Array; code: 1002 | 1007 | 1009; what: string }> = fc.oneof(
  validFrame.map((f) => ({ bytes: encodeFrame({ ...f, masked: false }), code: 1002 as const, what: 'unmasked client frame' })),
  fc
    .tuple(validFrame, fc.integer({ min: 1, max: 7 }))
    .map(([f, rsv]) => ({ bytes: encodeFrame({ ...f, rsv }), code: 1002 as const, what: `RSV bits ${rsv}` })),
  fc
    .tuple(fc.constantFrom(3, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe, 0xf), fc.uint8Array({ maxLength: 50 }))
    .map(([opcode, payload]) => ({ bytes: encodeFrame({ opcode, payload }), code: 1002 as const, what: `reserved opcode ${opcode}` })),
  fc.tuple(fc.constantFrom(0x8, 0x9, 0xa), fc.uint8Array({ maxLength: 20 })).map(([opcode, payload]) => ({
    bytes: encodeFrame({ opcode, payload: opcode === 0x8 ? closePayload(1000) : payload, fin: false }),
    code: 1002 as const,
    what: 'fragmented control frame',
  })),
  fc.tuple(fc.constantFrom(0x9, 0xa), fc.integer({ min: 126, max: 400 })).map(([opcode, n]) => ({
    bytes: encodeFrame({ opcode, payload: new Uint8Array(n) }),
    code: 1002 as const,
    what: 'control frame over 125 bytes',
  })),
  fc.uint8Array({ maxLength: 50 }).map((payload) => ({
    bytes: encodeFrame({ opcode: 0x0, payload }),
    code: 1002 as const,
    what: 'continuation with nothing to continue',
  })),
  fc.tuple(fc.constantFrom(0x1, 0x2), fc.constantFrom(0x1, 0x2)).map(([first, second]) => ({
    bytes: Buffer.concat([
      encodeFrame({ opcode: first, payload: Buffer.from('{"a":'), fin: false }),
      encodeFrame({ opcode: second, payload: Buffer.from('1}') }),
    ]),
    code: 1002 as const,
    what: 'a new message inside a fragmented one',
  })),
  fc.integer({ min: 0, max: 255 }).map((byte) => ({
    bytes: encodeFrame({ opcode: 0x8, payload: Uint8Array.of(byte) }),
    code: 1002 as const,
    what: 'one-byte close payload',
  })),
  fc
    .oneof(
      fc.integer({ min: 0, max: 999 }),
      fc.constantFrom(1004, 1005, 1006, 1015),
      fc.integer({ min: 1016, max: 2999 }),
      fc.integer({ min: 5000, max: 65535 }),
    )
    .map((code) => ({ bytes: encodeFrame({ opcode: 0x8, payload: closePayload(code) }), code: 1002 as const, what: `close code ${code}` })),
  fc.tuple(fc.constantFrom(1000, 1001, 3000, 4999), invalidUtf8).map(([code, bad]) => ({
    bytes: encodeFrame({ opcode: 0x8, payload: closePayload(code, Uint8Array.from(bad)) }),
    code: 1007 as const,
    what: 'close reason not UTF-8',
  })),
  fc
    .tuple(fc.constantFrom(0x1, 0x2), fc.oneof(fc.integer({ min: MAX_MESSAGE_SIZE + 1, max: 2 ** 31 }), fc.constant(2 ** 53 + 10)))
    .map(([opcode, declared]) => {
      // Only the header: a length past the limit is refused before any payload arrives.
      const head = Buffer.alloc(14)
      head[0] = 0x80 | opcode
      head[1] = 0x80 | 127
      head.writeBigUInt64BE(BigInt(declared), 2)
      return { bytes: new Uint8Array(head), code: 1009 as const, what: `declared length ${declared}` }
    }),
)

/**
 * Enough 0xff bytes to finish any frame the fuzz left open (a length at most
 * max_message_size, or the limit is refused) and then start one with every
 * reserved bit set, which no server may accept.
 */
const POISON = new Uint8Array(MAX_MESSAGE_SIZE + 16).fill(0xff)

/** The server's close frame carries one of `codes` (never 1011, an internal error), and everything it sent before is a plain envelope, a keepalive or a pong. */
function checkRawAnswer(raw: RawWsClient, codes: readonly number[] | 'any', input: Uint8Array, d: FuzzDaemon): void {
  for (const frame of raw.frames) {
    expect(frame.masked, 'server frames are never masked').toBe(false)
    expect([0x1, 0x8, 0xa], `opcode ${frame.opcode}`).toContain(frame.opcode)
  }
  for (const text of raw.texts) {
    if (text === '3') continue
    const envelope = expectEnvelope(text)
    expect([200, 400, 404, 405, 413]).toContain(envelope.status)
    if (envelope.event !== 'echo') expect(leakedInternals(text, Buffer.from(input).toString('latin1'), [d.project.root])).toEqual([])
  }
  const close = raw.closeFrame
  expect(close, 'the server sends a close frame before it closes').toBeDefined()
  if (codes !== 'any') expect(codes).toContain(close!.code)
  // Echoing the client's own close: any code a client may send, or none.
  else if (close!.code !== undefined)
    expect(close!.code === 1000 || (close!.code >= 1001 && close!.code <= 1014) || (close!.code >= 3000 && close!.code <= 4999)).toBe(true)
  expect(leakedInternals(close!.reason, '', [d.project.root])).toEqual([])
}

describe('the outside port under broken WebSocket framing', () => {
  it.prop(
    [
      fc.array(
        validFrame.filter((f) => f.payload.length <= MAX_MESSAGE_SIZE),
        { maxLength: 2 },
      ),
      violation,
      mask,
      junk,
      fc.boolean(),
    ],
    { numRuns: 120 },
  )(
    'closes a connection that breaks the framing with the close code RFC 6455 gives (1002, 1007, 1009)',
    async (before, bad, m, tail, pipelined) => {
      const d = daemon()
      const input = Buffer.concat([...before.map((f) => encodeFrame({ ...f, mask: m })), bad.bytes, tail])
      // Sent with the upgrade request itself, or once the upgrade is done.
      const raw = await RawWsClient.open(d.started.outside.port, d.token, pipelined ? input : undefined)
      if (!pipelined) raw.write(input)
      await within(raw.closed, HANG_MS, `server close after ${bad.what}`)
      checkRawAnswer(raw, [bad.code], input, d)
      await checkpoint(d)
    },
    PROPERTY_TIMEOUT,
  )

  it.prop(
    [
      fc.oneof(
        fc.uint8Array({ minLength: 1, maxLength: 300 }),
        // A valid frame with a few bytes overwritten: mostly almost-valid framing.
        fc
          .tuple(validFrame, mask, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }))
          .map(([f, m, flips]) => {
            const bytes = encodeFrame({ ...f, mask: m })
            for (const [at, value] of flips) bytes[at % bytes.length] = value
            return new Uint8Array(bytes)
          }),
      ),
      fc.boolean(),
    ],
    { numRuns: 120 },
  )(
    'closes a connection that sends random bytes after the upgrade, with a protocol close code, and answers nothing else oddly',
    async (bytes, pipelined) => {
      const d = daemon()
      const input = Buffer.concat([bytes, POISON])
      const raw = await RawWsClient.open(d.started.outside.port, d.token, pipelined ? input : undefined)
      if (!pipelined) raw.write(input)
      await within(raw.closed, HANG_MS, 'server close after random bytes')
      // The noise may hold a client close frame (0x88) of its own, which the server answers with that code.
      checkRawAnswer(raw, bytes.includes(0x88) ? 'any' : [1002, 1007, 1009], bytes, d)
      await checkpoint(d)
    },
    PROPERTY_TIMEOUT,
  )

  it.prop(
    [
      fc.oneof(
        validFrame,
        fc.constantFrom(1000, 1001, 3000, 4000, 4999).map((code) => ({ opcode: 0x8, payload: closePayload(code) })),
      ),
      mask,
      fc.nat(),
      fc.constantFrom('end', 'destroy'),
    ],
    { numRuns: 80 },
  )(
    'drops a connection whose last frame is cut short, answering nothing for the partial frame (but 413 for a length over the limit)',
    async (frame, m, at, how) => {
      const d = daemon()
      const raw = await RawWsClient.open(d.started.outside.port, d.token)
      const bytes = encodeFrame({ ...frame, mask: m })
      const cut = 1 + (at % (bytes.length - 1))
      raw.write(bytes.subarray(0, cut))
      if (how === 'end') {
        // Half-closed: the server must close its side too, not wait for the rest.
        raw.end()
        await within(raw.closed, HANG_MS, 'server close after a truncated frame and FIN')
        const length = frame.payload.length
        const header = 2 + (length >= 0x10000 ? 8 : length >= 126 ? 2 : 0)
        if (length > MAX_MESSAGE_SIZE && cut >= header) {
          // The length alone is over the limit: refused as soon as it is read.
          expect(raw.texts.map((t) => expectEnvelope(t))).toMatchObject([{ status: 413, event: 'messageTooLarge' }])
          expect(raw.closeFrame?.code).toBe(1009)
        } else {
          expect(raw.frames.filter((f) => f.opcode !== 0x8)).toEqual([])
          const close = raw.closeFrame
          if (close?.code !== undefined) expect([1002, 1006]).toContain(close.code)
        }
      } else {
        raw.destroy()
        await raw.closed
      }
      await checkpoint(d)
    },
    PROPERTY_TIMEOUT,
  )
})

/** Every byte of the text's UTF-8 as %XX (a lone surrogate goes as U+FFFD's bytes). */
function percentEncoded(text: string): string {
  return [...Buffer.from(text, 'utf8')].map((byte) => `%${byte.toString(16).padStart(2, '0')}`).join('')
}

/** A token spot in a generated request line, filled with the real token when sent. */
const TOKEN = '\u0000TOKEN\u0000'

/** Mostly `usual`, sometimes one of `odd`: most generated requests differ from a valid upgrade in a field or two. */
function mostly<T>(usual: T, ...odd: T[]): fc.Arbitrary<T> {
  return fc.oneof({ arbitrary: fc.constant(usual), weight: 6 }, { arbitrary: fc.constantFrom(...odd), weight: 1 })
}

/** Upgrade requests, mostly almost right: odd methods, targets, versions, headers, trailing bytes. */
const upgradeRequest = fc.record({
  method: mostly('GET', 'POST', 'HEAD', 'PUT', 'OPTIONS', 'CONNECT', 'get', 'GET GET', 'G\u00e9T'),
  target: fc.oneof(
    { arbitrary: fc.constant(`/?auth=${TOKEN}`), weight: 6 },
    {
      arbitrary: fc.constantFrom(
        '/',
        '/?auth=',
        '/?auth=%',
        '/?auth=%zz',
        `/?auth=${TOKEN}&auth=x`,
        `/?auth=x&auth=${TOKEN}`,
        '*',
        `http://x/?auth=${TOKEN}`,
        `//?auth=${TOKEN}`,
        `/?auth=${'A'.repeat(5000)}`,
        `/${'a'.repeat(20_000)}`,
        '/?auth=W10=',
        '/?auth=***',
      ),
      weight: 2,
    },
    { arbitrary: oddString(30).map((s) => `/?auth=${percentEncoded(s)}`), weight: 1 },
    { arbitrary: fc.webPath().map((p) => `/${p.replace(/^\/+/, '')}?auth=${TOKEN}`), weight: 1 },
  ),
  version: mostly('HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0', 'HTTP/1.1 x', 'HTTP/9.9', 'http/1.1'),
  upgrade: mostly<string | undefined>('websocket', 'WebSocket', 'websocket, h2c', 'h2c', '', undefined),
  connection: mostly<string | undefined>('Upgrade', 'upgrade, keep-alive', 'keep-alive', 'close', undefined),
  key: mostly<string | undefined>('valid', '', 'short', 'dGhlIHNhbXBsZSBub25jZQ', '!!!!!!!!!!!!!!!!!!!!!!==', undefined),
  wsVersion: mostly<string | undefined>('13', '8', '0', '13, 8', 'x', undefined),
  origin: mostly<string | undefined>(undefined, 'null', 'https://evil.example', 'not a url'),
  extra: fc.array(fc.tuple(fc.stringMatching(/^[A-Za-z][A-Za-z-]{0,11}$/), fc.string({ unit: 'grapheme-ascii', maxLength: 40 })), {
    maxLength: 3,
  }),
  hugeHeader: mostly(0, 8_000, 20_000),
  newline: mostly('\r\n', '\n'),
  tail: fc.oneof({ arbitrary: fc.constant(new Uint8Array()), weight: 3 }, { arbitrary: fc.uint8Array({ maxLength: 40 }), weight: 1 }),
})

type UpgradeRequest = typeof upgradeRequest extends fc.Arbitrary<infer T> ? T : never

function isValidUpgrade(r: UpgradeRequest): boolean {
  return (
    r.method === 'GET' &&
    r.target === `/?auth=${TOKEN}` &&
    r.version === 'HTTP/1.1' &&
    r.upgrade === 'websocket' &&
    r.connection === 'Upgrade' &&
    r.key === 'valid' &&
    r.wsVersion === '13' &&
    r.origin === undefined &&
    r.hugeHeader <= 8_000 &&
    r.newline === '\r\n'
  )
}

function upgradeBytes(r: UpgradeRequest, token: string, port: number): Buffer {
  const nl = r.newline
  const lines = [`${r.method} ${r.target.replaceAll(TOKEN, token)} ${r.version}`, `Host: 127.0.0.1:${port}`]
  if (r.upgrade !== undefined) lines.push(`Upgrade: ${r.upgrade}`)
  if (r.connection !== undefined) lines.push(`Connection: ${r.connection}`)
  if (r.key !== undefined) lines.push(`Sec-WebSocket-Key: ${r.key === 'valid' ? randomBytes(16).toString('base64') : r.key}`)
  if (r.wsVersion !== undefined) lines.push(`Sec-WebSocket-Version: ${r.wsVersion}`)
  if (r.origin !== undefined) lines.push(`Origin: ${r.origin}`)
  for (const [name, value] of r.extra) lines.push(`X-${name}: ${value}`)
  if (r.hugeHeader > 0) lines.push(`X-Padding: ${'p'.repeat(r.hugeHeader)}`)
  return Buffer.concat([Buffer.from(lines.join(nl) + nl + nl, 'latin1'), r.tail])
}

describe('the outside port under fuzzed upgrade requests', () => {
  it.prop([upgradeRequest], { numRuns: 100 })(
    'answers any upgrade request with a 1xx-4xx status (or drops it), never a 5xx or anything internal',
    async (r) => {
      const d = daemon()
      const socket = net.connect(d.started.outside.port, '127.0.0.1')
      socket.on('error', () => undefined)
      await once(socket, 'connect')
      const closed = once(socket, 'close')
      socket.write(upgradeBytes(r, d.token, d.started.outside.port))
      // Read the answer's head (or see the socket dropped), then hang up our side.
      const received: Buffer[] = []
      try {
        const { head, rest } = await within(readHead(socket), HANG_MS, 'the answer to an upgrade request')
        received.push(head, rest)
        socket.on('data', (chunk: Buffer) => received.push(chunk))
        socket.resume()
        socket.end()
      } catch (err) {
        if (!socket.destroyed) throw err
      }
      await within(closed, HANG_MS, 'the connection closing after the answer')
      const answer = Buffer.concat(received)
      // An upgrade with every field right must be accepted: the fuzz is not just refusals.
      if (isValidUpgrade(r)) expect(answer.subarray(0, 12).toString('latin1')).toBe('HTTP/1.1 101')
      if (answer.length > 0) {
        const head = answer.subarray(0, Math.max(0, answer.indexOf('\r\n\r\n'))).toString('latin1')
        const status = /^HTTP\/1\.1 (\d{3}) /.exec(head)
        expect(status, `status line of ${JSON.stringify(head.slice(0, 200))}`).not.toBeNull()
        expect(Number(status![1]), head.slice(0, 300)).toBeLessThan(500)
        // A 101 is followed by WebSocket frames and a 200 is the port's page; any other answer is a small refusal that says nothing internal.
        if (status![1] !== '101' && status![1] !== '200')
          expect(leakedInternals(answer.toString('latin1'), '', [d.project.root])).toEqual([])
      }
      await checkpoint(d)
    },
    PROPERTY_TIMEOUT,
  )
})

describe('afterwards', () => {
  it('is still the same daemon: it answers, every fuzz connection is gone, its heap settles, the control connection never dropped', async () => {
    await afterFuzz(daemon())
  })
})
