import { getHeapSpaceStatistics } from 'node:v8'
import { MswError } from '../../errors.js'
import type { GcResult } from '../../contracts/control-api.js'

/**
 * A full, synchronous collection of the master's heap, for benchmarks that
 * measure what stays in use. Node offers it only to a process started with
 * --expose-gc (`mswoole start --expose-gc`); without it this answers an error,
 * and no signal or port can turn it on.
 */
export function collectGarbage(): GcResult {
  const gc = globalThis.gc
  if (typeof gc !== 'function') {
    throw new MswError('MSW_ERR_DEBUG_DISABLED', 'debug.gc needs a daemon started with `mswoole start --expose-gc`')
  }
  const heapUsedBefore = process.memoryUsage().heapUsed
  const started = performance.now()
  gc()
  return {
    heapUsedBefore,
    heapUsed: process.memoryUsage().heapUsed,
    youngGeneration: youngGenerationBytes(),
    durationMs: Math.round((performance.now() - started) * 10) / 10,
  }
}

/**
 * What V8 holds for its young generation. It grows it (to 32 MiB by default)
 * while much is allocated and gives it back at a collection once allocation is
 * low, whatever the connections held; a benchmark reads memory once it has.
 */
export function youngGenerationBytes(): number {
  return getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')?.space_size ?? 0
}
