import { Duplex } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { acceptUnmaskedFrames } from '../../src/daemon/unmasked-frames.js'
import { unmaskedFrame } from './swoole-client.js'

/**
 * The byte rewriting under outside.accept_unmasked_frames and the manager
 * port: each unmasked client frame gets the MASK bit and a zero key, wherever
 * TCP splits it; masked frames and what the server writes pass untouched.
 */

/** A socket whose incoming bytes the test pushes, and whose writes it keeps. */
function fakeSocket(): { socket: Duplex; written: Buffer[] } {
  const written: Buffer[] = []
  const socket = new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, callback) {
      written.push(chunk)
      callback()
    },
  })
  return { socket, written }
}

/** What ws would read for this frame had the client masked it with a zero key. */
function zeroKeyed(frame: Buffer): Buffer {
  const lengthBytes = (frame[1]! & 0x7f) === 127 ? 8 : (frame[1]! & 0x7f) === 126 ? 2 : 0
  const headEnd = 2 + lengthBytes
  const head = Buffer.from(frame.subarray(0, headEnd))
  head[1] = head[1]! | 0x80
  return Buffer.concat([head, Buffer.alloc(4), frame.subarray(headEnd)])
}

function maskedFrame(text: string, key: Buffer): Buffer {
  const payload = Buffer.from(text)
  const masked = Buffer.from(payload.map((byte, i) => byte ^ key[i % 4]!))
  return Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), key, masked])
}

/** Feeds `chunks` in, as separate reads, and answers all the adapter let through. */
async function rewrite(chunks: Buffer[], head = Buffer.alloc(0)): Promise<Buffer> {
  const { socket } = fakeSocket()
  const adapted = acceptUnmaskedFrames(socket, head)
  const out: Buffer[] = [adapted.head]
  adapted.socket.on('data', (chunk: Buffer) => out.push(chunk))
  const ended = new Promise((resolve) => adapted.socket.on('end', resolve))
  for (const chunk of chunks) socket.push(chunk)
  socket.push(null)
  await ended
  return Buffer.concat(out)
}

describe('acceptUnmaskedFrames', () => {
  const small = unmaskedFrame('{"method":"status"}')
  const medium = unmaskedFrame('x'.repeat(300))
  const large = unmaskedFrame('y'.repeat(70_000))
  const masked = maskedFrame('{"method":"stop"}', Buffer.from([1, 2, 3, 4]))
  const close = unmaskedFrame(Buffer.alloc(0), 0x8)

  it('masks 7-, 16- and 64-bit length frames with a zero key and leaves masked ones as they are', async () => {
    const stream = Buffer.concat([small, masked, medium, close, large])
    expect(
      (await rewrite([stream])).equals(Buffer.concat([zeroKeyed(small), masked, zeroKeyed(medium), zeroKeyed(close), zeroKeyed(large)])),
    ).toBe(true)
  })

  it('finds every header wherever the reads split it, one byte at a time too', async () => {
    const stream = Buffer.concat([small, masked, medium, small])
    const expected = Buffer.concat([zeroKeyed(small), masked, zeroKeyed(medium), zeroKeyed(small)])
    const bytes = [...stream].map((byte) => Buffer.from([byte]))
    expect((await rewrite(bytes)).equals(expected)).toBe(true)
    // The bytes read with the upgrade's headers (head) come first.
    expect((await rewrite([stream.subarray(3)], stream.subarray(0, 3))).equals(expected)).toBe(true)
  })

  it('writes what the server sends to the socket untouched, and ends it', async () => {
    const { socket, written } = fakeSocket()
    const adapted = acceptUnmaskedFrames(socket, Buffer.alloc(0)).socket
    const finished = new Promise((resolve) => socket.on('finish', resolve))
    adapted.cork()
    adapted.write(Buffer.from([0x81, 0x01, 0x41]))
    adapted.write(Buffer.from([0x88, 0x00]))
    adapted.uncork()
    adapted.end()
    await finished
    expect(Buffer.concat(written).toString('hex')).toBe('8101418800')
  })
})
