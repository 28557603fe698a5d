import { describe, expect, it } from 'vitest'
import { readSentAt, seqStart } from '../../bench/fan-out-client.js'

/** The payload inside a buffer with bytes of other frames around it, as the client's shared read buffer holds it. */
function framed(payload: string): [Buffer, number, number] {
  const before = 'x}}"sentAt":1'
  const buf = Buffer.from(`${before}${payload}"offset":9}}`)
  return [buf, before.length, before.length + Buffer.byteLength(payload)]
}

describe('bench fan-out client', () => {
  it('reads the send time at the end of an envelope', () => {
    expect(readSentAt(...framed('{"status":200,"event":"serverBroadcast","info":"","param":{"sentAt":1765000000123.25}}'))).toBe(
      1765000000123.25,
    )
    expect(readSentAt(...framed('{"param":{"sentAt":0}}'))).toBe(0)
  })

  it('reads it before the position a room envelope carries with history on', () => {
    const envelope =
      '{"status":200,"event":"serverBroadcast","info":"","param":{"sentAt":1765000000123.5},"seq":{"room":"bench","epoch":"q3Xk9aZb","offset":42}}'
    expect(readSentAt(...framed(envelope))).toBe(1765000000123.5)
    expect(seqStart(...framed(envelope))).toBe(framed(envelope)[1] + envelope.indexOf(',"seq":'))
  })

  it('refuses payloads that do not end with a send time', () => {
    expect(readSentAt(...framed('{"param":{"text":"hi"}}'))).toBe(-1)
    expect(readSentAt(...framed('{"param":{"n":1},"seq":{"room":"bench","epoch":"q3Xk9aZb","offset":42}}'))).toBe(-1)
    expect(readSentAt(...framed('{"seq":{"room":"bench","epoch":"q3Xk9aZb","offset":42}}'))).toBe(-1)
    expect(seqStart(...framed('{"param":{"sentAt":1}}'))).toBe(-1)
  })
})
