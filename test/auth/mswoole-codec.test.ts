import { createCipheriv, createDecipheriv } from 'node:crypto'
import { describe, it, expect } from 'vitest'
import { decodeMswooleToken, encodeMswooleToken, phpJsonEncode } from '../../src/auth/mswoole-codec.js'
import { MswError } from '../../src/errors.js'
import { legacyTokens } from '../helpers/legacy-tokens.js'

const fixture = legacyTokens
const { key } = fixture

/** Decrypts without our codec, to see the exact plaintext a vector carries. */
function rawPlaintext(token: string, k = key): string {
  const keyBuf = Buffer.alloc(24, '0')
  Buffer.from(k).copy(keyBuf, 0, 0, 24)
  const d = createDecipheriv('des-ede3', keyBuf, null)
  const b64 = token.replace(/\*/g, '+').replace(/:/g, '/').replace(/_/g, '=')
  return Buffer.concat([d.update(Buffer.from(b64, 'base64')), d.final()]).toString('utf8')
}

/** Encrypts arbitrary plaintext the PHP way, to build hostile tokens. */
function rawToken(plain: Buffer | string, k = key): string {
  const keyBuf = Buffer.alloc(24, '0')
  Buffer.from(k).copy(keyBuf, 0, 0, 24)
  const c = createCipheriv('des-ede3', keyBuf, null)
  const data = Buffer.concat([c.update(plain), c.final()])
  return data.toString('base64').replace(/\+/g, '*').replace(/\//g, ':').replace(/=/g, '_')
}

function expectAuthInvalid(fn: () => unknown): void {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(MswError)
    expect((err as MswError).code).toBe('MSW_ERR_AUTH_INVALID')
    return
  }
  expect.fail('expected MSW_ERR_AUTH_INVALID')
}

describe('mswoole codec: fixture vectors', () => {
  it.each(fixture.vectors.map((v, i) => [i, v] as const))('vector %i decodes to its payload', (_i, v) => {
    expect(decodeMswooleToken(v.token, key)).toEqual(v.payload)
  })

  // Vectors whose plaintext is PHP's default json_encode must re-encode byte for byte.
  const phpDefault = fixture.vectors.filter((v) => phpJsonEncode(v.payload) === rawPlaintext(v.token))
  it.each(phpDefault.map((v) => [v.payload.nickname, v] as const))('re-encodes %s to the identical token', (_n, v) => {
    expect(encodeMswooleToken(v.payload, key)).toBe(v.token)
  })

  it('covers every vector but the raw-UTF-8 one in the byte-exact check', () => {
    // Vector 2's plaintext has unescaped UTF-8 ("小明<b>"), i.e. JSON_UNESCAPED_UNICODE,
    // not PHP's default; we mint the default form (vector 3 proves it), so only its decode is exact.
    const others = fixture.vectors.filter((v) => !phpDefault.includes(v))
    expect(others.map((v) => v.payload.nickname)).toEqual(['小明<b>'])
    const ours = encodeMswooleToken(others[0]!.payload, key)
    expect(rawPlaintext(ours)).toBe('{"id":"42","type":"wechatUser","code":"A-7","nickname":"\\u5c0f\\u660e<b>","ctime":1764000000}')
    expect(decodeMswooleToken(ours, key)).toEqual(others[0]!.payload)
  })

  it.each(fixture.invalid.map((t) => [JSON.stringify(t)] as const))('refuses invalid fixture token %s', (t) => {
    expectAuthInvalid(() => decodeMswooleToken(JSON.parse(t) as string, key))
  })
})

describe('mswoole codec: PHP json_encode compatibility', () => {
  it('escapes slashes and non-ASCII (including astral chars as surrogate pairs)', () => {
    expect(phpJsonEncode({ a: 'live/2026', b: '小明', c: '😀', d: '<b>&"\n' })).toBe(
      '{"a":"live\\/2026","b":"\\u5c0f\\u660e","c":"\\ud83d\\ude00","d":"<b>&\\"\\n"}',
    )
  })

  it('passes extra fields through both ways', () => {
    const payload = { id: 7, type: 'wechatUser', code: 'r', nickname: 'n', ctime: 1, avatar: 'https://x/y.png', vip: true }
    expect(decodeMswooleToken(encodeMswooleToken(payload, key), key)).toEqual(payload)
  })
})

describe('mswoole codec: refusals', () => {
  const v = fixture.vectors[0]!

  it('refuses a wrong key', () => {
    expectAuthInvalid(() => decodeMswooleToken(v.token, 'another-key'))
  })

  it('refuses tampered tokens (every single-character change)', () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789*:'
    for (let i = 0; i < v.token.length - 1; i++) {
      const ch = v.token[i]!
      const repl = alphabet[(alphabet.indexOf(ch) + 1) % alphabet.length]!
      const tampered = v.token.slice(0, i) + repl + v.token.slice(i + 1)
      // ECB: a flipped block rarely still yields JSON of the right shape; when it does, it must differ.
      try {
        expect(decodeMswooleToken(tampered, key)).not.toEqual(v.payload)
      } catch (err) {
        expect((err as MswError).code).toBe('MSW_ERR_AUTH_INVALID')
      }
    }
  })

  it('refuses bad base64 and truncated blocks', () => {
    for (const t of [
      'abc!',
      'RECy RsY2',
      'RECyRsY27VZgEAcq4XWuUTsE+i5o',
      'RECyRsY2',
      'RECyRsY27VZ_',
      'A___',
      'RECyRsY27VZgEAcq4XWuUTsEwi5oC0Ke_',
    ])
      expectAuthInvalid(() => decodeMswooleToken(t, key))
  })

  it('refuses a JWT handed to the legacy codec', () => {
    expectAuthInvalid(() => decodeMswooleToken('eyJhbGciOiJIUzI1NiJ9.eyJpZCI6MX0.c2ln', key))
  })

  it('refuses non-JSON, bad UTF-8 and payloads failing the schema', () => {
    expectAuthInvalid(() => decodeMswooleToken(rawToken('hello'), key))
    expectAuthInvalid(() => decodeMswooleToken(rawToken(Buffer.from([0x22, 0xff, 0x22])), key))
    expectAuthInvalid(() => decodeMswooleToken(rawToken('{"id":1,"type":"wall"}'), key))
    expectAuthInvalid(() => decodeMswooleToken(rawToken('{"id":true,"type":"w","code":"c","nickname":"n","ctime":1}'), key))
    expectAuthInvalid(() => decodeMswooleToken(rawToken('[1,2]'), key))
  })

  it('never leaks a raw crypto error', () => {
    for (const t of ['AAAAAAAAAAAAAAAAAAAAAA__', 'AAAAAAAAAAA_', rawToken('x').slice(0, 8)]) {
      try {
        decodeMswooleToken(t, key)
        expect.fail('should refuse')
      } catch (err) {
        expect(err).toBeInstanceOf(MswError)
      }
    }
  })
})

describe('mswoole codec: keys', () => {
  const payload = fixture.vectors[0]!.payload

  it('pads short keys with "0" like str_pad', () => {
    expect(decodeMswooleToken(rawToken(phpJsonEncode(payload), 'k'), 'k')).toEqual(payload)
    // "k" and "k0" pad to the same 24 bytes, exactly as in PHP.
    expect(decodeMswooleToken(encodeMswooleToken(payload, 'k'), 'k0')).toEqual(payload)
  })

  it('truncates keys longer than 24 bytes like mcrypt', () => {
    const long = 'abcdefghijklmnopqrstuvwxyz0123'
    const token = encodeMswooleToken(payload, long)
    expect(token).toBe(encodeMswooleToken(payload, long.slice(0, 24)))
    expect(decodeMswooleToken(token, long.slice(0, 24) + 'zzz')).toEqual(payload)
  })

  it("refuses an empty key instead of using PHP's built-in default", () => {
    expect(() => encodeMswooleToken(payload, '')).toThrow(expect.objectContaining({ code: 'MSW_ERR_INVALID_ARGUMENT' }))
    expect(() => decodeMswooleToken(fixture.vectors[0]!.token, '')).toThrow(expect.objectContaining({ code: 'MSW_ERR_INVALID_ARGUMENT' }))
  })

  it('refuses to mint a token for a payload it could not decode', () => {
    expect(() => encodeMswooleToken({ id: 1 }, key)).toThrow(expect.objectContaining({ code: 'MSW_ERR_INVALID_ARGUMENT' }))
  })
})

describe('mswoole codec: lenient like MSwoole-ws checkAtuh', () => {
  const decodePlain = (plain: string) => decodeMswooleToken(rawToken(plain), key)

  it('accepts a token without nickname, ctime or type, as empty strings and no ctime', () => {
    const payload = decodePlain('{"id":1,"code":"room1"}')
    expect(payload).toEqual({ id: 1, code: 'room1', type: '', nickname: '' })
    expect('ctime' in payload).toBe(false)
  })

  it('turns a numeric code and a null nickname or type into strings, as PHP printed them', () => {
    expect(decodePlain('{"id":5,"type":"wall","code":1001,"nickname":null,"ctime":1764000000}')).toEqual({
      id: 5,
      type: 'wall',
      code: '1001',
      nickname: '',
      ctime: 1764000000,
    })
    expect(decodePlain('{"id":"5","type":null,"code":0,"nickname":42}')).toEqual({ id: '5', type: '', code: '0', nickname: '42' })
  })

  it('keeps a numeric id as a number, and reads a ctime written as a string of digits', () => {
    expect(decodePlain('{"id":7,"type":"wechatUser","code":"r","nickname":"Tom","ctime":"1764000000"}')).toEqual({
      id: 7,
      type: 'wechatUser',
      code: 'r',
      nickname: 'Tom',
      ctime: 1764000000,
    })
    expect(decodePlain('{"id":7,"code":"r","ctime":null}')).toEqual({ id: 7, code: 'r', type: '', nickname: '' })
  })

  it('passes unknown fields through untouched', () => {
    expect(decodePlain('{"id":7,"code":"r","avatar":"a.png","tags":[1,"x"],"vip":{"level":2}}')).toMatchObject({
      avatar: 'a.png',
      tags: [1, 'x'],
      vip: { level: 2 },
    })
  })

  it('still refuses what the App API cannot carry: no id or code, or fields of the wrong kind', () => {
    const reasons: string[] = []
    for (const plain of [
      '{"type":"wall","code":"r"}',
      '{"id":7,"type":"wall"}',
      '{"id":{"a":1},"code":"r"}',
      '{"id":7,"code":true}',
      '{"id":7,"code":"r","nickname":["x"]}',
      '{"id":7,"code":"r","ctime":"yesterday"}',
      '{"id":7,"code":"r","ctime":1e999}',
    ]) {
      try {
        decodePlain(plain)
        expect.fail(`should refuse ${plain}`)
      } catch (err) {
        expect((err as MswError).code, plain).toBe('MSW_ERR_AUTH_INVALID')
        reasons.push((err as MswError).message)
      }
    }
    expect(reasons).toEqual([
      'token payload is invalid: id: expected a string or a number',
      'token payload is invalid: code: expected a string or a number',
      'token payload is invalid: id: expected a string or a number',
      'token payload is invalid: code: expected a string or a number',
      'token payload is invalid: nickname: expected a string or a number',
      'token payload is invalid: ctime: expected Unix seconds, as a number or a string of digits',
      'token payload is invalid: ctime: expected Unix seconds, as a number or a string of digits',
    ])
  })
})

describe('mswoole codec: only what json_encode writes', () => {
  const reasonFor = (plain: string | Buffer): string => {
    try {
      decodeMswooleToken(rawToken(plain), key)
    } catch (err) {
      expect((err as MswError).code).toBe('MSW_ERR_AUTH_INVALID')
      return (err as MswError).message
    }
    return expect.fail('should refuse')
  }
  const good = '{"id":1,"type":"wechatUser","code":"room1","nickname":"Tom","ctime":1764000000}'

  it('refuses duplicate keys at any depth, compared unescaped', () => {
    expect(reasonFor('{"id":1,"type":"wechatUser","code":"r","nickname":"","type":"wall","ctime":1}')).toBe(
      'token payload is not as json_encode writes it: duplicate key "type"',
    )
    expect(reasonFor('{"id":1,"type":"wechatUser","code":"r","typ\\u0065":"wall"}')).toMatch(/duplicate key "type"$/)
    expect(reasonFor('{"id":1,"code":"r","extra":{"a":1,"b":[{"c":1,"c":2}]}}')).toMatch(/duplicate key "c"$/)
  })

  it('refuses any byte after the closing brace, whitespace included', () => {
    for (const tail of [' ', '\n', '\t', '\r\n', '    ']) expect(reasonFor(good + tail)).toMatch(/bytes after the JSON object$/)
    // Non-whitespace (NUL, padding-like bytes) is not JSON at all.
    for (const tail of ['\0', '\x01', '\x08\x08', '}']) expect(reasonFor(good + tail)).toBe('token payload is not JSON')
  })

  it('refuses any byte before the opening brace', () => {
    for (const head of [' ', '\n', '\t', '\r']) expect(reasonFor(head + good)).toMatch(/bytes before the JSON object$/)
    for (const head of ['\0', '\x01', '\ufeff']) expect(reasonFor(head + good)).toBe('token payload is not JSON')
  })

  it('refuses whitespace between tokens (json_encode writes none; spliced blocks pad with it)', () => {
    expect(reasonFor('{"id":1,"type":"wechatUser","code":"r","nickname":"",      "level":9,"ctime":1}')).toBe(
      'token payload is not as json_encode writes it: whitespace between JSON tokens',
    )
    expect(reasonFor('{"id": 1,"code":"r"}')).toMatch(/whitespace between JSON tokens$/)
    // Spaces inside a string are content.
    expect(decodeMswooleToken(rawToken('{"id":1,"code":"r","nickname":"  Tom  "}'), key)).toMatchObject({ nickname: '  Tom  ' })
  })

  it('refuses JSON that is not an object', () => {
    for (const plain of ['[1,2]', '"x"', '1', 'null', 'true']) expect(reasonFor(plain)).toBe('token payload is not a JSON object')
  })

  it('accepts the same payload written as json_encode writes it', () => {
    expect(decodeMswooleToken(rawToken(good), key)).toEqual(JSON.parse(good))
  })
})
