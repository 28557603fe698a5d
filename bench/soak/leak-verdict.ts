/**
 * The leak verdict. The judged samples are those taken under load after the warm-up (the JIT,
 * the first reloads and the pools have settled by then). The bound is on the master's heap
 * after a forced full collection, from the first judged sample to the last: it may grow at most
 * `boundMib`. The connection count at each sample differs by the churn in flight, and traffic is
 * in flight at each collection, so a flat heap wanders (by about 1 MiB on a full run here); a
 * leak of about 1.5 KB per reconnect, 60 B per request, 6 KB per broadcast or 140 KB per reload
 * crosses the bound over a full run's judged window. The
 * least-squares slope and the RSS are reported beside it, not judged: RSS moves with the worker
 * threads each reload starts and ends, and with what the allocator keeps.
 */
import type { MemorySample } from './memory-sampler.js'

export interface Trend {
  first: number
  last: number
  growth: number
  /** Least-squares slope over the judged samples, bytes per minute. */
  slopePerMinute: number
  min: number
  max: number
}

export interface LeakVerdict {
  judged: number
  fromT: number
  toT: number
  /** Whether every judged heap figure came after a forced collection. */
  collected: boolean
  heap: Trend
  rss: Trend | null
  /** The current workers' heaps summed, as they reported them (never forced). */
  workerHeap: Trend
  boundBytes: number
  met: boolean
}

function trend(points: Array<[number, number]>): Trend {
  const n = points.length
  const meanT = points.reduce((s, [t]) => s + t, 0) / n
  const meanV = points.reduce((s, [, v]) => s + v, 0) / n
  const num = points.reduce((s, [t, v]) => s + (t - meanT) * (v - meanV), 0)
  const den = points.reduce((s, [t]) => s + (t - meanT) ** 2, 0)
  const values = points.map(([, v]) => v)
  const first = values[0]!
  const last = values.at(-1)!
  return {
    first,
    last,
    growth: last - first,
    slopePerMinute: den === 0 ? 0 : Math.round((num / den) * 60),
    min: Math.min(...values),
    max: Math.max(...values),
  }
}

/** Undefined when fewer than two samples fall after the warm-up: then nothing can be judged. */
export function judgeLeak(samples: readonly MemorySample[], warmupSeconds: number, boundMib: number): LeakVerdict | undefined {
  const judged = samples.filter((s) => s.phase === 'load' && s.t >= warmupSeconds)
  if (judged.length < 2) return undefined
  const boundBytes = boundMib * 2 ** 20
  const heap = trend(judged.map((s) => [s.t, s.heapUsed]))
  const rssPoints = judged.flatMap((s): Array<[number, number]> => (s.rss === null ? [] : [[s.t, s.rss]]))
  return {
    judged: judged.length,
    fromT: judged[0]!.t,
    toT: judged.at(-1)!.t,
    collected: judged.every((s) => s.collected),
    heap,
    rss: rssPoints.length < 2 ? null : trend(rssPoints),
    workerHeap: trend(judged.map((s) => [s.t, s.workerHeaps.reduce((a, b) => a + b, 0)])),
    boundBytes,
    met: heap.growth <= boundBytes,
  }
}
