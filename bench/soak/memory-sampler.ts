/**
 * The daemon's memory over the soak. Each sample forces two full collections of the master's
 * heap through its control socket (`debug.gc`, the daemon started with --expose-gc; see
 * bench/lib/heap-probe.ts) and reads what is left in use, then the process's RSS from /proc
 * (every thread, workers included) and the daemon's own `status` (connections, generation, each
 * worker's heap as the workers last reported it). Without the probe the heap is status's
 * heapUsed, garbage included, and the sample says so.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { openControlHeapProbe, type HeapProbe } from '../lib/heap-probe.js'
import { rssBytes } from '../lib/proc-memory.js'
import type { ManagerClient } from './manager-client.js'

export type SamplePhase = 'before' | 'load' | 'after'

export interface MemorySample {
  /** Seconds since the load began (negative before it). */
  t: number
  phase: SamplePhase
  /** The master's heap in use: after a forced collection when `collected`, else status's heapUsed. */
  heapUsed: number
  collected: boolean
  rss: number | null
  connections: number
  generation: number
  /** The pid status reports: it must stay the daemon's first pid. */
  pid: number
  /** Each current worker's heap (bytes, as last reported by the worker; never forced). */
  workerHeaps: number[]
}

export class MemorySampler {
  readonly samples: MemorySample[] = []
  gcUnavailable: string | null = null
  #probe: HeapProbe | undefined
  readonly pid: number
  readonly #socket: string
  readonly #manager: ManagerClient

  /** `socket`: the daemon's control socket, where debug.gc is asked. */
  constructor(pid: number, socket: string, manager: ManagerClient) {
    this.pid = pid
    this.#socket = socket
    this.#manager = manager
  }

  async open(log: (m: string) => void): Promise<void> {
    try {
      this.#probe = await openControlHeapProbe(this.#socket)
    } catch (err) {
      this.gcUnavailable = err instanceof Error ? err.message : String(err)
      log(`no forced collection (${this.gcUnavailable}): heap samples include garbage`)
    }
  }

  async sample(t: number, phase: SamplePhase): Promise<MemorySample> {
    let heapUsed: number | null = null
    if (this.#probe !== undefined) {
      // Twice: the first can leave what only a finalizer or weak callback freed.
      await this.#probe.collectGarbage()
      await this.#probe.collectGarbage()
      heapUsed = await this.#probe.heapUsed()
      await sleep(200) // freed pages go back to the kernel from V8's background threads
    }
    const status = await this.#manager.status()
    const sample: MemorySample = {
      t: Math.round(t * 10) / 10,
      phase,
      heapUsed: heapUsed ?? status.memory.heapUsed,
      collected: heapUsed !== null,
      rss: rssBytes(this.pid) ?? null,
      connections: status.connections,
      generation: status.generation,
      pid: status.pid,
      workerHeaps: status.workers.map((w) => w.memory),
    }
    this.samples.push(sample)
    return sample
  }

  close(): void {
    this.#probe?.close()
  }
}
