import { describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { OutsideSocket } from '../../../src/daemon/outside/outside-socket.js'

// ws builds a server's sockets with a null address; no network is involved here.
function serverSide<T extends WebSocket>(Socket: new (address: null, protocols: undefined, options: object) => T): T {
  return new Socket(null, undefined, {})
}

describe('OutsideSocket', () => {
  it('drops an error nobody listens to, where a plain ws socket throws it', () => {
    expect(() => serverSide(WebSocket).emit('error', new Error('bad frame'))).toThrow('bad frame')
    expect(serverSide(OutsideSocket).emit('error', new Error('bad frame'))).toBe(false)
  })

  it('still hands an error to a listener, and every other event as ws does', () => {
    const socket = serverSide(OutsideSocket)
    const seen: unknown[] = []
    socket.on('error', (err) => seen.push(err.message))
    socket.on('pong', (data) => seen.push(String(data)))
    expect(socket.emit('error', new Error('reset'))).toBe(true)
    expect(socket.emit('pong', Buffer.from('p'))).toBe(true)
    expect(seen).toEqual(['reset', 'p'])
  })
})
