import { describe, expect, it } from 'vitest'
// The package by its own name, as a Node backend imports it (resolved through package.json "exports" to dist/).
import { decodeToken, encodeToken, MswError } from 'mswoole'
import { legacyTokens } from './helpers/legacy-tokens.js'

describe('the mswoole package', () => {
  it('exports the token encoder for Node backends, interoperable with the daemon codec', async () => {
    const payload = { id: 1, type: 'wechatUser', code: 'room1', nickname: 'Tom', ctime: 1764000000 }
    const token = await encodeToken('mswoole', payload, 'marico-websocket')
    // Byte for byte what PHP's Encrypt::des made for the same user.
    const fixture = legacyTokens
    expect(token).toBe(fixture.vectors[0]?.token)
    expect(await decodeToken('mswoole', token, 'marico-websocket')).toEqual(payload)
    await expect(decodeToken('mswoole', token, 'other-key')).rejects.toBeInstanceOf(MswError)
  })
})
