/**
 * `mswoole reload -c <dir> --json`, as an operator runs it, every `interval` seconds: one at a
 * time (a reload still running pushes the next one later), each recorded with the daemon's
 * durationMs and new generation, or its error.
 */
import type { ReloadResult } from '../../src/contracts/control-api.js'
import type { MswooleTarget } from '../lib/mswoole-target.js'

export interface ReloadRecord {
  /** Seconds since the load began: the command's start and end (its process start-up included). */
  startedAt: number
  endedAt: number
  durationMs: number | null
  generation: number | null
  error?: string
}

export class Reloader {
  readonly records: ReloadRecord[] = []
  #running = false
  #loop: Promise<void> = Promise.resolve()
  #wake: (() => void) | null = null

  /** Starts the loop; `t0` is performance.now() of the load's start. */
  start(target: MswooleTarget, intervalSeconds: number, t0: number, log: (m: string) => void): void {
    this.#running = true
    const at = () => (performance.now() - t0) / 1000
    this.#loop = (async () => {
      for (let i = 1; this.#running; i++) {
        const wait = t0 + i * intervalSeconds * 1000 - performance.now()
        if (wait > 0)
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, wait)
            this.#wake = () => {
              clearTimeout(timer)
              resolve()
            }
          })
        this.#wake = null
        if (!this.#running) break
        const startedAt = at()
        try {
          const r = await target.cliJson<ReloadResult>(['reload'])
          this.records.push({ startedAt, endedAt: at(), durationMs: r.durationMs, generation: r.generation })
        } catch (err) {
          const error = err instanceof Error ? err.message : String(err)
          this.records.push({ startedAt, endedAt: at(), durationMs: null, generation: null, error })
          log(`reload at ${startedAt.toFixed(1)} s failed: ${error}`)
        }
      }
    })()
  }

  /** No new reload; resolves when the one running has ended (the CLI call's own timeout bounds it). */
  async stop(): Promise<void> {
    this.#running = false
    this.#wake?.()
    await this.#loop
  }
}
