import { describe, expect, it } from 'vitest'
import { isRoutableName, parseMethod } from '../../src/worker/route.js'

const route = (module: string, controller: string, action: string) => ({ valid: true, module, controller, action })

describe('parseMethod', () => {
  it('fills in Index.Index.index for a missing or empty method', () => {
    expect(parseMethod(undefined)).toEqual(route('index', 'index', 'index'))
    expect(parseMethod(null)).toEqual(route('index', 'index', 'index'))
    expect(parseMethod('')).toEqual(route('index', 'index', 'index'))
    expect(parseMethod(' ... ')).toEqual(route('index', 'index', 'index'))
  })

  it('reads one segment as the action, two as controller.action, three as module.controller.action', () => {
    expect(parseMethod('join')).toEqual(route('index', 'index', 'join'))
    expect(parseMethod('user.join')).toEqual(route('index', 'user', 'join'))
    expect(parseMethod('live.user.join')).toEqual(route('live', 'user', 'join'))
  })

  it('is case-insensitive and trims dots and spaces around the method', () => {
    expect(parseMethod('Live.User.Join')).toEqual(route('live', 'user', 'join'))
    expect(parseMethod('..live.user.join.')).toEqual(route('live', 'user', 'join'))
    expect(parseMethod('  INDEX ')).toEqual(route('index', 'index', 'index'))
  })

  it('refuses more than three segments, empty inner segments and other characters', () => {
    for (const method of ['a.b.c.d', 'a..b', 'live.user.jo-in', 'live/user', 'user.join()', 'ünïcode', 'a b']) {
      expect(parseMethod(method), method).toMatchObject({ valid: false })
    }
  })

  it('refuses a method that is not a string', () => {
    expect(parseMethod(42)).toMatchObject({ valid: false })
    expect(parseMethod({ toString: () => 'index' })).toMatchObject({ valid: false })
  })

  it('never routes to constructor, prototype, __proto__ or _private names in any segment or case', () => {
    for (const method of [
      'constructor',
      'index.Constructor',
      'index.index.prototype',
      '__proto__',
      'index.__proto__.x',
      '_helper',
      'index._secret',
      '_live.user.join',
    ]) {
      expect(parseMethod(method), method).toMatchObject({ valid: false })
    }
  })

  it('refuses a segment too long to be a name', () => {
    expect(parseMethod('a'.repeat(65))).toMatchObject({ valid: false })
    expect(parseMethod('a'.repeat(64))).toMatchObject({ valid: true })
  })
})

describe('isRoutableName', () => {
  it('accepts plain identifiers and refuses reserved ones', () => {
    expect(isRoutableName('join')).toBe(true)
    expect(isRoutableName('join2_now')).toBe(true)
    expect(isRoutableName('constructor')).toBe(false)
    expect(isRoutableName('_x')).toBe(false)
    expect(isRoutableName('a-b')).toBe(false)
  })
})
