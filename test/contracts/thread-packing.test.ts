import { describe, expect, it } from 'vitest'
import type { FromWorker, ToWorker } from '../../src/contracts/thread-channel.js'
import { packFromWorker, packToWorker, unpackFromWorker, unpackToWorker } from '../../src/contracts/thread-packing.js'

describe('thread packing', () => {
  it('packs a client frame as a string and back, whatever its text holds', () => {
    for (const text of ['{"method":"echo"}', '', 'a\u0000b\u0000c', '✓ ünïcödé 🎉']) {
      const frame: ToWorker = { t: 'frame', seq: 41, fd: 7, sender: JSON.stringify([{ id: 1, code: 'r\u0000' }, 'r']), text }
      const packed = packToWorker(frame)
      expect(typeof packed).toBe('string')
      expect(unpackToWorker(packed)).toEqual(frame)
    }
  })

  it('leaves the other messages to the master as objects', () => {
    const close: ToWorker = { t: 'close', seq: 1, controllers: ['A.B'], event: { fd: 1, auth: {}, code: '', closeCode: 1000, reason: '' } }
    expect(packToWorker(close)).toBe(close)
    expect(unpackToWorker(close)).toBe(close)
  })

  it('packs ack, done and a send to one fd as strings and back', () => {
    const hot: FromWorker[] = [
      { t: 'ack', fd: 12 },
      { t: 'done', seq: 99 },
      { t: 'send', to: 'fd', target: 3, frame: '{"status":200,"info":"x\u0000y"}' },
    ]
    for (const message of hot) {
      const packed = packFromWorker(message)
      expect(typeof packed).toBe('string')
      expect(unpackFromWorker(packed)).toEqual(message)
    }
  })

  it('leaves room sends, calls and logs as objects', () => {
    const room: FromWorker = { t: 'send', to: 'room', target: 'r1', frame: '{}', except: [1] }
    const log: FromWorker = { t: 'log', level: 'info', msg: 'hello' }
    expect(packFromWorker(room)).toBe(room)
    expect(packFromWorker(log)).toBe(log)
  })

  it('turns a string of no known packing into a message whose type the handler does not know', () => {
    expect(unpackFromWorker('zwhat')).toEqual({ t: 'z' })
  })
})
