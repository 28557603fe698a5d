import { describe, expect, it } from 'vitest'
import { strictJsonProblem } from '../../src/auth/strict-json.js'

/** The scanner's contract: its input is already valid JSON. */
function problem(text: string): string | undefined {
  JSON.parse(text)
  return strictJsonProblem(text)
}

describe('strict JSON: what json_encode writes', () => {
  it.each([
    ['{}'],
    ['{"id":1,"type":"wechatUser","code":"room1","nickname":"Tom","ctime":1764000000}'],
    // The same key in different objects, in an array, or as a string value is not a duplicate.
    ['{"a":{"type":1},"b":{"type":2},"type":"type"}'],
    ['{"a":[{"k":1},{"k":2}],"k":["k","k"]}'],
    // Escaped quotes and backslashes inside strings do not end them.
    ['{"a\\"b":"x\\\\","a\\\\":"\\"type\\":1","b":"{\\"a\\":1}"}'],
    ['{"nickname":"\\u5c0f\\u660e","n2":"<b>\\/x"}'],
    // Whitespace inside strings is content.
    ['{"a b":" x\\t ","c":["\\n"," "]}'],
  ])('accepts %s', (text) => {
    expect(problem(text)).toBeUndefined()
  })
})

describe('strict JSON: refusals', () => {
  it.each([
    ['{"type":"user","type":"wall"}', 'duplicate key "type"'],
    ['{"type":"user","typ\\u0065":"wall"}', 'duplicate key "type"'],
    ['{"\\u0074ype":"user","type":"wall"}', 'duplicate key "type"'],
    ['{"a":1,"b":{"c":[{"d":1,"d":2}]}}', 'duplicate key "d"'],
    ['{"a":[1,{"x":1}],"b":{"x":1,"y":{"z":1},"x":2}}', 'duplicate key "x"'],
    ['{"":1,"":2}', 'duplicate key ""'],
  ])('refuses duplicate keys in %s', (text, reason) => {
    expect(problem(text)).toBe(reason)
  })

  it('cuts a long duplicate key short in the reason', () => {
    const key = 'k'.repeat(200)
    const reason = problem(`{"${key}":1,"${key}":2}`)
    expect(reason).toMatch(/^duplicate key "k+…"$/)
    expect(reason!.length).toBeLessThan(60)
  })

  it.each([['{"a" :1}'], ['{"a": 1}'], ['{"a":1 ,"b":2}'], ['{"a":[1, 2]}'], ['{"a":{"b":1}\n,"c":2}'], ['{\t"a":1}'], ['{"a":1\r}']])(
    'refuses whitespace between tokens: %j',
    (text) => {
      expect(problem(text)).toBe('whitespace between JSON tokens')
    },
  )

  it.each([[' {}'], ['\n{"a":1}'], ['\t\r {"a":1}']])('refuses bytes before the object: %j', (text) => {
    expect(problem(text)).toBe('bytes before the JSON object')
  })

  it.each([['{} '], ['{"a":1}\n'], ['{"a":1}\r\n\t ']])('refuses bytes after the object: %j', (text) => {
    expect(problem(text)).toBe('bytes after the JSON object')
  })

  it.each([['[1]'], ['"{}"'], ['1'], ['null'], [' [{}]']])('refuses what is not an object: %j', (text) => {
    expect(problem(text)).toBe('not a JSON object')
  })

  it('handles deep nesting in one pass', () => {
    const deep = '{"a":'.repeat(5000) + '{"k":1,"k":2}' + '}'.repeat(5000)
    expect(problem(deep)).toBe('duplicate key "k"')
    const arrays = '{"a":' + '['.repeat(5000) + ']'.repeat(5000) + '}'
    expect(problem(arrays)).toBeUndefined()
  })
})

describe('strict JSON: which reason wins', () => {
  it('names a duplicate key before whitespace found earlier in the text', () => {
    expect(problem('{"type":"user",      "type":"wall"}')).toBe('duplicate key "type"')
    expect(problem('{"a": 1} ')).toBe('bytes after the JSON object')
  })
})
