import { describe, expect, it } from 'vitest'
import type { Connection } from '../../../src/daemon/clients/connection.js'
import { LocalIndex } from '../../../src/daemon/clients/local-index.js'

function connection(fd: number): Connection {
  return { fd, state: 'open', rooms: [], uids: [] } as unknown as Connection
}

const fds = (members: Iterable<Connection>) => [...members].map((c) => c.fd).sort((a, b) => a - b)

describe('LocalIndex', () => {
  it('holds one member, then two, then one again, and forgets a room once it is empty', () => {
    const index = new LocalIndex()
    const [a, b] = [connection(1), connection(2)]
    expect(index.join(a, 'r')).toBe(true)
    expect(index.join(a, 'r')).toBe(false)
    expect(fds(index.room('r'))).toEqual([1])
    expect(index.join(b, 'r')).toBe(true)
    expect(fds(index.room('r'))).toEqual([1, 2])
    expect(index.leave(a, 'r')).toBe(true)
    expect(fds(index.room('r'))).toEqual([2])
    expect(index.roomSizes()).toEqual(new Map([['r', 1]]))
    expect(index.leave(b, 'r')).toBe(true)
    expect(index.leave(b, 'r')).toBe(false)
    expect(fds(index.room('r'))).toEqual([])
    expect(index.roomCount).toBe(0)
  })

  it('gives the connections in one room alone one shared, frozen list, and one of its own to a connection in two', () => {
    const index = new LocalIndex()
    const [a, b, c] = [connection(1), connection(2), connection(3)]
    index.join(a, 'event')
    index.join(b, 'event')
    index.join(c, 'other')
    expect(a.rooms).toEqual(['event'])
    expect(b.rooms).toBe(a.rooms)
    expect(Object.isFrozen(a.rooms)).toBe(true)
    expect(c.rooms).not.toBe(a.rooms)
    index.join(b, 'other')
    expect(b.rooms).toEqual(['event', 'other'])
    expect(a.rooms).toEqual(['event'])
    // Back to one room: the room's shared list again.
    index.leave(b, 'event')
    expect(b.rooms).toBe(c.rooms)
    expect(b.rooms).toEqual(['other'])
    // A room emptied and made again starts a list of its own; the closed connection keeps what it had.
    index.forget(a)
    expect(a.rooms).toEqual(['event'])
    index.join(connection(4), 'event')
    expect(index.room('event')).toHaveLength(1)
  })

  it("keeps a connection's own lists in step, replacing them rather than changing them", () => {
    const index = new LocalIndex()
    const a = connection(1)
    index.join(a, 'x')
    const before = a.rooms
    index.join(a, 'y')
    expect(before).toEqual(['x'])
    expect(a.rooms).toEqual(['x', 'y'])
    index.bindUid(a, '7')
    index.bindUid(a, '7')
    expect(a.uids).toEqual(['7'])
    index.unbindUid(a, '7')
    expect(a.uids).toEqual([])
    expect(fds(index.uid('7'))).toEqual([])
  })

  it('takes a closed connection out of every room and uid, and a member dropped mid-send does not upset the send', () => {
    const index = new LocalIndex()
    const members = [connection(1), connection(2), connection(3)]
    for (const c of members) {
      index.join(c, 'room')
      index.bindUid(c, 'u')
    }
    const seen: number[] = []
    for (const c of index.room('room')) {
      seen.push(c.fd)
      if (c.fd === 1) {
        members[1]!.state = 'closed'
        index.forget(members[1]!)
      }
    }
    expect(seen).toEqual([1, 3])
    expect(fds(index.uid('u'))).toEqual([1, 3])
    expect(members[1]!.rooms).toEqual(['room'])
  })

  it('refuses joins of a connection that is no longer open', () => {
    const index = new LocalIndex()
    const a = connection(1)
    a.state = 'closing'
    expect(index.join(a, 'r')).toBe(false)
    expect(index.bindUid(a, 'u')).toBe(false)
    expect(a.rooms).toEqual([])
  })
})
