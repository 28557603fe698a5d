import { describe, expect, it } from 'vitest'
import { heldPayload } from '../../src/auth/payload.js'

describe('heldPayload', () => {
  it('keeps every field and the order each form gives them', () => {
    const jwt = heldPayload({ id: 1, type: 't', code: 'c', nickname: 'n', ctime: 5, extra: 'x', iat: 9 })
    expect(Object.keys(jwt)).toEqual(['id', 'type', 'code', 'nickname', 'ctime', 'extra', 'iat'])
    const legacy = heldPayload({ id: '1', code: 'c', type: '', nickname: 'n', vip: true, ctime: 5 }, true)
    expect(Object.keys(legacy)).toEqual(['id', 'code', 'type', 'nickname', 'vip', 'ctime'])
    expect(legacy).toEqual({ id: '1', code: 'c', type: '', nickname: 'n', vip: true, ctime: 5 })
  })

  it('gives a legacy payload of the known fields alone the same order', () => {
    const legacy = heldPayload({ ctime: 5, nickname: 'n', type: 't', code: 'c', id: 7 }, true)
    expect(Object.keys(legacy)).toEqual(['id', 'code', 'type', 'nickname', 'ctime'])
    expect(legacy).toEqual({ id: 7, code: 'c', type: 't', nickname: 'n', ctime: 5 })
  })

  it('leaves ctime out of a legacy payload minted without one', () => {
    const legacy = heldPayload({ id: 1, code: 'c', type: 't', nickname: 'n' }, true)
    expect(Object.hasOwn(legacy, 'ctime')).toBe(false)
  })

  it('copies a "__proto__" field as a field, never as the prototype', () => {
    const data = JSON.parse('{"id":1,"type":"t","code":"c","nickname":"n","ctime":1,"__proto__":{"admin":true}}')
    const held = heldPayload(data)
    expect(Object.getPrototypeOf(held)).toBe(Object.prototype)
    expect((held as { admin?: unknown }).admin).toBeUndefined()
    expect(Object.hasOwn(held, '__proto__')).toBe(true)
  })
})
