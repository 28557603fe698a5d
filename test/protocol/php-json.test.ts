import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import { envelope } from '../../src/protocol/envelope.js'
import { isPhpEmptyJson, phpEscapeJson, phpJsonEncode } from '../../src/protocol/php-json.js'
import { setWireFormat } from '../../src/protocol/wire-format.js'
import { phpString } from '../helpers/php-string.js'

afterEach(() => setWireFormat('seed'))

describe('phpJsonEncode', () => {
  it('writes any string as json_encode does', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        expect(phpJsonEncode(text)).toBe(phpString(text))
      }),
      { numRuns: 300 },
    )
  })

  it('writes nested values with every string escaped, keys included, in insertion order', () => {
    expect(phpJsonEncode({ 'k/é': ['a/b', 1, null, true, { 墙: '😀' }], z: 0.5 })).toBe(
      '{"k\\/\\u00e9":["a\\/b",1,null,true,{"\\u5899":"\\ud83d\\ude00"}],"z":0.5}',
    )
  })

  it('returns plain ASCII JSON as it is', () => {
    const json = JSON.stringify({ status: 200, event: 'e', info: 'no slash, no wide char' })
    expect(phpEscapeJson(json)).toBe(json)
  })

  it('refuses what JSON cannot hold', () => {
    expect(() => phpJsonEncode(undefined)).toThrow(expect.objectContaining({ code: 'MSW_ERR_INVALID_ARGUMENT' }))
  })
})

describe("PHP's empty() on the wire", () => {
  it('is true of null, false, 0, 0.0, "", "0", [] and {} and of nothing else', () => {
    for (const value of [undefined, null, false, 0, 0.0, -0, '', '0', [], {}])
      expect(isPhpEmptyJson(JSON.stringify(value)), String(JSON.stringify(value))).toBe(true)
    for (const value of ['00', '0.0', ' ', 'false', 0.1, 1, true, [0], [[]], { a: null }])
      expect(isPhpEmptyJson(JSON.stringify(value)), JSON.stringify(value)).toBe(false)
  })
})

describe('envelope', () => {
  it('is the seed form by default: status, event, info, param, escaped; an empty() param left out', () => {
    expect(envelope(200, 'receiveMessage', '服务端已收到您的请求内容')).toBe(
      '{"status":200,"event":"receiveMessage","info":"\\u670d\\u52a1\\u7aef\\u5df2\\u6536\\u5230\\u60a8\\u7684\\u8bf7\\u6c42\\u5185\\u5bb9"}',
    )
    expect(envelope(200, 'e', 'i', { url: 'http://x/y' })).toBe('{"status":200,"event":"e","info":"i","param":{"url":"http:\\/\\/x\\/y"}}')
    for (const empty of [null, false, 0, '', '0', [], {}])
      expect(envelope(200, 'e', 'i', empty)).toBe('{"status":200,"event":"e","info":"i"}')
  })

  it('is plain UTF-8 in the modern format, leaving out only an undefined param', () => {
    setWireFormat('modern')
    expect(envelope(200, 'e', '墙 a/b', 0)).toBe('{"status":200,"event":"e","info":"墙 a/b","param":0}')
    expect(envelope(200, 'e', 'i', null)).toBe('{"status":200,"event":"e","info":"i","param":null}')
    expect(envelope(200, 'e', 'i')).toBe('{"status":200,"event":"e","info":"i"}')
  })
})
