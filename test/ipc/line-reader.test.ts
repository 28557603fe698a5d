import { describe, expect, it } from 'vitest'
import { LineReader } from '../../src/ipc/line-reader.js'

/** A reader whose lines and overflows are recorded. */
function reader(maxBytes = 1024): { push: (chunk: string | Buffer) => void; lines: string[]; overflows: () => number } {
  const lines: string[] = []
  let overflows = 0
  const r = new LineReader(
    maxBytes,
    (line) => lines.push(line),
    () => overflows++,
  )
  return { push: (chunk) => r.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk), lines, overflows: () => overflows }
}

describe('LineReader', () => {
  it('joins a line split across chunks', () => {
    const r = reader()
    r.push('{"jsonrpc":')
    r.push('"2.0",')
    expect(r.lines).toEqual([])
    r.push('"id":1}\n')
    expect(r.lines).toEqual(['{"jsonrpc":"2.0","id":1}'])
  })

  it('hands out several lines from one chunk, keeping the unfinished rest for the next', () => {
    const r = reader()
    r.push('one\ntwo\nthr')
    expect(r.lines).toEqual(['one', 'two'])
    r.push('ee\n')
    expect(r.lines).toEqual(['one', 'two', 'three'])
  })

  it('decodes a multi-byte character split between chunks', () => {
    const r = reader()
    const bytes = Buffer.from('café\n')
    // "é" is two bytes; cut between them.
    r.push(bytes.subarray(0, 4))
    r.push(bytes.subarray(4))
    expect(r.lines).toEqual(['café'])
  })

  it('strips the CR of CRLF line ends, also when the CR ends the previous chunk', () => {
    const r = reader()
    r.push('a\r\nb\r')
    r.push('\nc\n')
    expect(r.lines).toEqual(['a', 'b', 'c'])
  })

  it('skips empty lines, bare CRLFs included', () => {
    const r = reader()
    r.push('\n\nx\n\r\n\ny\n')
    expect(r.lines).toEqual(['x', 'y'])
  })

  it('accepts a line of exactly maxBytes', () => {
    const r = reader(8)
    r.push('12345678\n')
    expect(r.lines).toEqual(['12345678'])
    expect(r.overflows()).toBe(0)
  })

  it('reports overflow once a line without newline passes maxBytes, across chunks', () => {
    const r = reader(8)
    r.push('12345')
    expect(r.overflows()).toBe(0)
    r.push('6789')
    expect(r.overflows()).toBe(1)
    expect(r.lines).toEqual([])
  })

  it('reports overflow for a long line that does end in the same chunk', () => {
    const r = reader(8)
    r.push('ok\n123456789\n')
    expect(r.lines).toEqual(['ok'])
    expect(r.overflows()).toBe(1)
  })

  it('starts afresh after an overflow instead of gluing the dropped bytes to the next line', () => {
    const r = reader(8)
    r.push('123456789')
    expect(r.overflows()).toBe(1)
    r.push('\nnext\n')
    expect(r.lines).toEqual(['next'])
  })
})
