import { fc } from '@fast-check/vitest'
import { MAX_MESSAGE_SIZE, SIDE_EFFECT_ACTIONS } from './outside-model.js'

/** Generators of what a hostile or broken client sends. */

/** One unit of text: plain, HTML-special, control, or a lone surrogate (JSON can carry one as \udXXX). */
export const anyChar: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }), weight: 4 },
  { arbitrary: fc.constantFrom('&', '<', '>', '"', "'", '\\', '/', '\u0000', '\u001f', '\u2028', '\u2029', '\ufeff', '\ufffd'), weight: 2 },
  { arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }), weight: 2 },
  { arbitrary: fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code)), weight: 1 },
)

export const oddString = (maxLength = 24): fc.Arbitrary<string> => fc.string({ unit: anyChar, maxLength })

/** Strings long enough to pass the size limit on their own, in one- to four-byte characters. */
export const hugeString: fc.Arbitrary<string> = fc
  .tuple(fc.constantFrom('x', '&', 'é', '中', '𝄞', '<>', '\\"'), fc.integer({ min: 256, max: MAX_MESSAGE_SIZE + 512 }))
  .map(([unit, count]) => unit.repeat(count))

export const oddScalar: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(
    null,
    true,
    false,
    0,
    -0,
    -1,
    1.5,
    1e308,
    -1e308,
    5e-324,
    Number.MAX_SAFE_INTEGER,
    -Number.MAX_SAFE_INTEGER,
    2 ** 53 + 2,
    '',
    ' ',
    '2',
    '3',
    '<b>&"\'</b>',
    '\ud800',
    '\udfff\ud800',
    '{}',
    '[]',
    'null',
  ),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  oddString(),
)

/** Keys a message may carry besides `method`: odd, empty, or the names the server sets itself. */
export const oddKey: fc.Arbitrary<string> = fc
  .oneof(
    oddString(12),
    fc.constantFrom(
      '',
      ' ',
      'fd',
      'auth',
      'code',
      'Constructor',
      'PROTOTYPE',
      '__proto',
      '__proto__ ',
      ' constructor',
      'toString',
      'valueOf',
      'hasOwnProperty',
      'length',
      '0',
      '-1',
      'then',
      'param',
      'status',
      'event',
    ),
  )
  .filter((key) => key !== 'method' && key !== '__proto__' && key !== 'constructor' && key !== 'prototype')

/** Any JSON value, shallow enough to stay under the nesting limit unless made deep on purpose. */
export const oddValue: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: oddScalar, weight: 4 },
  { arbitrary: fc.jsonValue({ maxDepth: 3, stringUnit: anyChar }), weight: 3 },
  { arbitrary: hugeString, weight: 1 },
  { arbitrary: fc.array(oddScalar, { maxLength: 6 }), weight: 1 },
  { arbitrary: fc.dictionary(oddKey, oddScalar, { maxKeys: 4 }), weight: 1 },
)

/** Names that live on Object.prototype, or are a controller's hooks: never actions. */
const OBJECT_MEMBERS = [
  'toString',
  'valueOf',
  'hasOwnProperty',
  'isPrototypeOf',
  'propertyIsEnumerable',
  'toLocaleString',
  '__defineGetter__',
  '__lookupSetter__',
  'onMessage',
  'onClose',
  'onReload',
]
const RESERVED = ['__proto__', 'constructor', 'prototype']

/** Method strings built from reserved names, Object.prototype members and hooks, in any case. */
export const prototypeMethod: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '__proto__.constructor.x',
    'constructor',
    'prototype',
    '__proto__',
    'index.index.constructor',
    'index.__proto__.index',
    'Index.Index.__PROTO__',
    'index.index.toString',
    'index.index.onClose',
  ),
  fc
    .array(fc.mixedCase(fc.constantFrom(...RESERVED, ...OBJECT_MEMBERS, 'index', 'echo')), { minLength: 1, maxLength: 3 })
    .filter((segments) => segments.some((s) => s.toLowerCase() !== 'index' && s.toLowerCase() !== 'echo'))
    .map((segments) => segments.join('.')),
)

const methodString: fc.Arbitrary<string> = fc
  .oneof(
    fc.constantFrom(
      'index.index.index',
      'index.index.echo',
      'Index.Index.Echo',
      'INDEX.INDEX.INDEX',
      'echo',
      'index',
      'index.echo',
      '',
      '.',
      '...',
      'index.index',
      'a.b.c.d',
      ' echo',
      'echo ',
      'index..echo',
      '.echo',
      'index.index.',
      'Index.Nope.index',
      'nope.index.index',
      'index.index._helper',
      'index.index.nope',
      '../../etc/passwd',
      'index/index/echo',
      'x'.repeat(65),
      `index.index.${'e'.repeat(70)}`,
    ),
    prototypeMethod,
    oddString(30),
    fc
      .array(fc.oneof(fc.constantFrom('index', 'echo', 'Index', 'ECHO', 'nope', '_x', ''), fc.stringMatching(/^[A-Za-z0-9_]{1,8}$/)), {
        minLength: 1,
        maxLength: 4,
      })
      .map((s) => s.join('.')),
  )
  .filter((method) => !SIDE_EFFECT_ACTIONS.test(method))

/** `method` of every type: strings good and bad, and numbers, arrays, objects, null, booleans. */
export const oddMethod: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: methodString, weight: 5 },
  { arbitrary: fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null)), weight: 1 },
  {
    arbitrary: fc.oneof(
      fc.array(methodString, { maxLength: 3 }),
      fc.dictionary(oddKey, methodString, { maxKeys: 2 }),
      fc.constantFrom([], {}, ['index', 'index', 'echo']),
    ),
    weight: 1,
  },
)

/** A JSON object's members in order, as a client writes them (so a key like __proto__ stays an own key). */
export type Members = Array<[string, unknown]>

export function objectText(members: Members): string {
  return `{${members.map(([key, value]) => `${JSON.stringify(key)}:${JSON.stringify(value)}`).join(',')}}`
}

/** An object with exactly these own members, `__proto__` included. */
export function objectOf(members: Members): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [key, value] of members) Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true })
  return out
}

/** A message: maybe a method of any type, and extra members of every type, in any order. */
export const oddMessage: fc.Arbitrary<Members> = fc
  .record({
    method: fc.option(oddMethod, { nil: undefined, freq: 6 }),
    extra: fc.uniqueArray(fc.tuple(oddKey, oddValue), { maxLength: 5, selector: ([key]) => key }),
    at: fc.nat(),
  })
  .map(({ method, extra, at }) => {
    const members: Members = [...extra]
    if (method !== undefined) members.splice(at % (members.length + 1), 0, ['method', method])
    return members
  })

/** A value with `__proto__`, `constructor` or `prototype` as a key somewhere down a path of objects and arrays. */
export const prototypeKeyed: fc.Arbitrary<unknown> = fc
  .record({
    key: fc.constantFrom(...RESERVED),
    payload: fc.oneof(
      fc.constant(objectOf([['polluted', 1]])),
      fc.constant(objectOf([['toString', 1]])),
      oddScalar,
      fc.constant(objectOf([['__proto__', objectOf([['polluted', 1]])]])),
    ),
    path: fc.array(fc.oneof(oddKey, fc.nat({ max: 2 })), { maxLength: 4 }),
  })
  .map(({ key, payload, path }) => {
    let value: unknown = objectOf([[key, payload]])
    for (const step of [...path].reverse()) {
      value = typeof step === 'number' ? [...Array<unknown>(step).fill(0), value] : objectOf([[step, value]])
    }
    return value
  })

/** How nested a value is, and of what: arrays (two bytes a level) or objects (more), near the limit or far past it. */
export const nesting = fc.record({
  depth: fc.oneof(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 30, max: 34 }), fc.integer({ min: 1, max: 2100 })),
  shape: fc.constantFrom('array', 'object', 'mixed'),
})

/** The JSON text of a value nested `depth` levels deep. */
export function nestedText({ depth, shape }: { depth: number; shape: 'array' | 'object' | 'mixed' }): string {
  let open = ''
  let close = ''
  for (let level = 0; level < depth; level++) {
    const asArray = shape === 'array' || (shape === 'mixed' && level % 2 === 0)
    open += asArray ? '[' : '{"a":'
    close = (asArray ? ']' : '}') + close
  }
  return `${open}1${close}`
}
