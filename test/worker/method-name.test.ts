import { describe, expect, it } from 'vitest'
import { isCallableName, parseMethod } from '../../src/worker/method-name.js'

const action = (module: string, controller: string, action: string) => ({ valid: true, module, controller, action })

describe('parseMethod', () => {
  it('fills in Index.Index.index for a missing or empty method', () => {
    expect(parseMethod(undefined)).toEqual(action('index', 'index', 'index'))
    expect(parseMethod(null)).toEqual(action('index', 'index', 'index'))
    expect(parseMethod('')).toEqual(action('index', 'index', 'index'))
    expect(parseMethod(' ... ')).toEqual(action('index', 'index', 'index'))
  })

  it('reads one segment as the action, two as controller.action, three as module.controller.action', () => {
    expect(parseMethod('join')).toEqual(action('index', 'index', 'join'))
    expect(parseMethod('user.join')).toEqual(action('index', 'user', 'join'))
    expect(parseMethod('live.user.join')).toEqual(action('live', 'user', 'join'))
  })

  it('is case-insensitive and trims dots and spaces around the method', () => {
    expect(parseMethod('Live.User.Join')).toEqual(action('live', 'user', 'join'))
    expect(parseMethod('..live.user.join.')).toEqual(action('live', 'user', 'join'))
    expect(parseMethod('  INDEX ')).toEqual(action('index', 'index', 'index'))
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

  it('never names constructor, prototype, __proto__ or _private names in any segment or case', () => {
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

describe('isCallableName', () => {
  it('accepts plain identifiers and refuses reserved ones', () => {
    expect(isCallableName('join')).toBe(true)
    expect(isCallableName('join2_now')).toBe(true)
    expect(isCallableName('constructor')).toBe(false)
    expect(isCallableName('_x')).toBe(false)
    expect(isCallableName('a-b')).toBe(false)
  })
})
