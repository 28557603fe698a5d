import { describe, expect, it } from 'vitest'
import { addedPerConnection, atSize, type Point, type SubjectMemory } from '../../bench/memory.js'

const reading = (rss: number, heapUsed: number) => ({ rss, heapUsed })

function point(held: number, rss: number, heap: number, base?: Point): Point {
  return {
    connections: held,
    held,
    settled: reading(rss + 1000, heap + 100),
    collected: reading(rss, heap),
    collections: { count: 2, youngGeneration: 1 << 20 },
    connectSeconds: 1,
    ...(base === undefined ? {} : { base }),
  }
}

function subject(points: Point[], empty: Point): SubjectMemory {
  return {
    id: 'plain',
    label: 'plain ws server',
    command: 'node plain-ws.ts',
    gcUnavailable: null,
    empty,
    points,
    connect: { asked: 0, opened: 0, failed: 0, seconds: 0, sourceAddresses: 0, failures: [] },
    disconnected: 0,
    framesReceived: 0,
  }
}

describe('memory figures', () => {
  it('counts each size against the reading with none of its own server', () => {
    const first = point(0, 100_000, 10_000)
    const second = point(0, 160_000, 12_000)
    const s = subject([point(1000, 3_100_000, 2_010_000, first), point(2000, 6_160_000, 4_012_000, second)], first)
    expect(atSize(s, 0)).toMatchObject({ rss: 3000, heap: 2000, collected: true })
    expect(atSize(s, 1)).toMatchObject({ rss: 3000, heap: 2000 })
    // Growth 6 MB at 2,000 less 3 MB at 1,000, over the 1,000 added.
    expect(addedPerConnection(s, 1)).toMatchObject({ rss: 3000, heap: 2000, settledRss: 3000 })
  })

  it('reads a server that held every size, as older results did, from its one reading with none', () => {
    const empty = point(0, 100_000, 10_000)
    const s = subject([point(1000, 3_100_000, 2_010_000), point(2000, 5_100_000, 3_010_000)], empty)
    expect(atSize(s, 1).rss).toBe(2500)
    expect(addedPerConnection(s, 1)).toMatchObject({ rss: 2000, heap: 1000 })
  })
})
