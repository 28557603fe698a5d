import fc from 'fast-check'
import { pino } from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import { createAppCalls } from '../../src/daemon/app-calls.js'
import type { Connection } from '../../src/daemon/clients/connection.js'
import { LocalIndex } from '../../src/daemon/clients/local-index.js'
import type { ConnectionRegistry } from '../../src/daemon/clients/registry.js'
import { Presence } from '../../src/daemon/cluster/presence.js'
import { MemoryPresenceCounts } from '../../src/daemon/cluster/presence-counts.js'
import { PresenceEvents, roomMatcher } from '../../src/daemon/cluster/presence-events.js'
import { PresenceTally } from '../../src/daemon/cluster/room-presence.js'
import { MemoryStore } from '../../src/daemon/store/memory-store.js'
import type { FromWorker } from '../../src/contracts/thread-channel.js'
import { WorkerApp } from '../../src/worker/app.js'

/**
 * The rules of room presence, without a daemon: which rooms app.json names,
 * how a room's uids are listed, and that the events follow the set of uids in
 * each room exactly, whatever a connection's opens, joins, binds and closes.
 */

describe('presence.rooms patterns', () => {
  it('takes * for any run of characters and every other character as it is', () => {
    const watches = roomMatcher(['ev*', 'lobby', 'a.b', '*-wall', 'x*y*z'])
    for (const room of ['ev', 'ev1', 'ev:room/2', 'lobby', 'a.b', 'stage-wall', '-wall', 'xyz', 'x1y2z', 'ev\nline'])
      expect(watches(room), room).toBe(true)
    for (const room of ['lobby2', 'alobby', 'axb', 'wall', 'stage-wall2', 'xy', 'e', '']) expect(watches(room), room).toBe(false)
    expect(roomMatcher(['*'])('anything at all')).toBe(true)
    expect(roomMatcher([])('ev1')).toBe(false)
  })
})

describe("a room's uids", () => {
  it('lists numbers first in numeric order, then other names, and counts anonymous connections apart', () => {
    const tally = new PresenceTally()
    for (const uids of [['12'], ['7'], ['guest'], ['7', 'guest'], [], ['100'], ['Ann']]) tally.add(uids)
    expect(tally.result('r')).toEqual({
      room: 'r',
      connections: 7,
      anonymous: 1,
      uids: [
        { uid: '7', connections: 2 },
        { uid: '12', connections: 1 },
        { uid: '100', connections: 1 },
        { uid: 'Ann', connections: 1 },
        { uid: 'guest', connections: 2 },
      ],
    })
  })
})

describe('app.presence in the worker', () => {
  it('asks the master for the room and answers what it says', async () => {
    const posted: FromWorker[] = []
    const app = new WorkerApp((m) => posted.push(m))
    const answer = app.presence('lobby')
    const call = posted.at(-1)
    expect(call).toMatchObject({ t: 'call', name: 'presence', args: ['lobby'] })
    const value = { room: 'lobby', connections: 1, anonymous: 0, uids: [{ uid: '7', connections: 1 }] }
    app.settle({ t: 'result', id: (call as { id: number }).id, value })
    expect(await answer).toEqual(value)
  })
})

const ROOMS = ['pr-1', 'pr-2', 'plain']
const UIDS = ['a', 'b', 'c']
const at = fc.nat({ max: 20 })
const ops = fc.array(
  fc.oneof(
    fc.record({ op: fc.constant('open' as const), uid: fc.option(fc.constantFrom(...UIDS)), code: fc.option(fc.constantFrom(...ROOMS)) }),
    fc.record({
      op: fc.constantFrom('close' as const, 'join' as const, 'leave' as const, 'closeKeyAdd' as const, 'closeKeyRemove' as const),
      at,
      room: fc.constantFrom(...ROOMS),
    }),
    fc.record({ op: fc.constantFrom('bind' as const, 'unbind' as const), at, uid: fc.constantFrom(...UIDS) }),
  ),
  { maxLength: 40 },
)

/** What the connections hold, kept apart from the daemon's index: room → the uids in it. */
function present(model: Map<number, { open: boolean; rooms: Set<string>; uids: Set<string> }>): Map<string, Set<string>> {
  const rooms = new Map<string, Set<string>>()
  for (const held of model.values()) {
    if (!held.open) continue
    for (const room of held.rooms) for (const uid of held.uids) rooms.set(room, (rooms.get(room) ?? new Set()).add(uid))
  }
  return rooms
}

const stores: MemoryStore[] = []
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close()
})

describe('presence events on one node', () => {
  it('send presenceJoin exactly when a uid enters a presence room and presenceLeave exactly when it is no longer in it', async () => {
    await fc.assert(
      fc.asyncProperty(ops, async (steps) => {
        const sent: Array<{ event: string; room: string; uid: string }> = []
        const events = new PresenceEvents({
          rooms: ['pr-*'],
          counts: new MemoryPresenceCounts(),
          send: (_room, frame) => {
            const { event, param } = JSON.parse(frame) as { event: string; param: { room: string; uid: string } }
            sent.push({ event, room: param.room, uid: param.uid })
            return Promise.resolve()
          },
          onUnavailable: () => undefined,
          logger: pino({ level: 'silent' }),
        })
        events.start()
        const store = new MemoryStore()
        stores.push(store)
        const index = new LocalIndex()
        const connections = new Map<number, Connection>()
        const registry = { get: (fd: number) => connections.get(fd) } as unknown as ConnectionRegistry
        const presence = new Presence({
          store,
          member: (c) => String(c.fd),
          uidSets: false,
          index,
          events,
          onUnavailable: () => undefined,
          logger: pino({ level: 'silent' }),
        })
        const calls = createAppCalls({ registry, index, presence, store })
        const model = new Map<number, { open: boolean; rooms: Set<string>; uids: Set<string> }>()

        for (const step of steps) {
          const before = present(model)
          if (step.op === 'open') {
            const fd = connections.size + 1
            const connection = { fd, state: 'open', rooms: [], uids: [], code: step.code ?? '' } as unknown as Connection
            connections.set(fd, connection)
            model.set(fd, {
              open: true,
              rooms: new Set(step.code === null ? [] : [step.code]),
              uids: new Set(step.uid === null ? [] : [step.uid]),
            })
            if (step.code !== null) index.join(connection, step.code)
            if (step.uid !== null) index.bindUid(connection, step.uid)
            presence.opened(connection)
          } else if (connections.size > 0) {
            const fd = (step.at % connections.size) + 1
            const connection = connections.get(fd) as Connection
            const held = model.get(fd) as { open: boolean; rooms: Set<string>; uids: Set<string> }
            switch (step.op) {
              case 'close':
                if (connection.state !== 'open') break
                connection.state = 'closed'
                held.open = false
                index.forget(connection)
                presence.closed(connection)
                break
              case 'join':
              case 'closeKeyAdd':
                if (held.open) held.rooms.add(step.room)
                await (step.op === 'join' ? calls.join(fd, step.room) : calls.closeKeyAdd(fd, step.room))
                break
              case 'leave':
              case 'closeKeyRemove':
                if (held.open) held.rooms.delete(step.room)
                await (step.op === 'leave' ? calls.leave(fd, step.room) : calls.closeKeyRemove(fd, step.room))
                break
              case 'bind':
                if (held.open) held.uids.add(step.uid)
                await calls.bindUid(fd, step.uid)
                break
              case 'unbind':
                if (held.open) held.uids.delete(step.uid)
                await calls.unbindUid(fd, step.uid)
                break
            }
          }
          await events.settled()
          const after = present(model)
          const expected: typeof sent = []
          for (const room of ROOMS.filter((r) => r.startsWith('pr-'))) {
            const was = before.get(room) ?? new Set()
            const now = after.get(room) ?? new Set()
            for (const uid of now) if (!was.has(uid)) expected.push({ event: 'presenceJoin', room, uid })
            for (const uid of was) if (!now.has(uid)) expected.push({ event: 'presenceLeave', room, uid })
          }
          const order = (list: typeof sent) => list.map((e) => `${e.event} ${e.room} ${e.uid}`).sort()
          expect(order(sent.splice(0)), JSON.stringify(step)).toEqual(order(expected))
          // And app.presence answers what the connections hold.
          for (const room of ROOMS) {
            const answer = await presence.read(room)
            const uids = [...(after.get(room) ?? [])].sort()
            expect(answer.uids.map((u) => u.uid).sort()).toEqual(uids)
          }
        }
      }),
      { numRuns: 200 },
    )
  })
})
