import { Worker } from 'node:worker_threads'
import type { FromWorker, ToWorker, WorkerData } from '../../src/contracts/thread-channel.js'
import { unbatch } from '../../src/contracts/thread-batch.js'
import { packToWorker, unpackFromWorker } from '../../src/contracts/thread-packing.js'

type Kind = FromWorker['t']
type Of<K extends Kind> = Extract<FromWorker, { t: K }>

interface Waiter {
  match: (message: FromWorker) => boolean
  resolve: (message: FromWorker) => void
}

/** What the master starts from sources (a build starts dist/worker/main.js). */
const ENTRY = new URL('../../src/worker/bootstrap.mjs', import.meta.url)

/**
 * A real worker thread started the way the master starts one, from the
 * sources. Everything it posts is kept in
 * `received`, in order; `take` hands out messages one by one.
 */
export class WorkerHarness {
  readonly worker: Worker
  /** Every message, in arrival order, for order assertions. */
  readonly received: FromWorker[] = []
  /** Not yet handed out by `take`. */
  readonly #unclaimed: FromWorker[] = []
  readonly #waiters: Waiter[] = []
  readonly exited: Promise<number>

  constructor(data: WorkerData) {
    this.worker = new Worker(ENTRY, { workerData: data })
    // The worker batches what it posts in one turn; the harness looks at each message.
    this.worker.on('message', (received: FromWorker | string | Array<FromWorker | string>) => {
      for (const packed of unbatch(received)) {
        const message = unpackFromWorker(packed)
        this.received.push(message)
        const waiter = this.#waiters.findIndex((w) => w.match(message))
        if (waiter === -1) this.#unclaimed.push(message)
        else this.#waiters.splice(waiter, 1)[0]!.resolve(message)
      }
    })
    this.exited = new Promise((resolve) => this.worker.once('exit', resolve))
  }

  post(message: ToWorker): void {
    this.worker.postMessage(packToWorker(message))
  }

  /** The first message of kind `t` (and matching `where`) not taken yet, waiting for it if need be. */
  take<K extends Kind>(t: K, where: (message: Of<K>) => boolean = () => true, timeoutMs = 10_000): Promise<Of<K>> {
    const match = (m: FromWorker): boolean => m.t === t && where(m as Of<K>)
    const index = this.#unclaimed.findIndex(match)
    if (index !== -1) return Promise.resolve(this.#unclaimed.splice(index, 1)[0] as Of<K>)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1)
        reject(new Error(`no ${t} message in ${timeoutMs} ms; received: ${JSON.stringify(this.received).slice(-2000)}`))
      }, timeoutMs)
      const waiter: Waiter = {
        match,
        resolve: (m) => {
          clearTimeout(timer)
          resolve(m as Of<K>)
        },
      }
      this.#waiters.push(waiter)
    })
  }

  /** Where `message` is in `received`. */
  indexOf(message: FromWorker): number {
    return this.received.indexOf(message)
  }

  /** Messages of kind `t` not taken yet. */
  pending<K extends Kind>(t: K): Array<Of<K>> {
    return this.#unclaimed.filter((m) => m.t === t) as Array<Of<K>>
  }

  async stop(): Promise<void> {
    await this.worker.terminate()
  }
}
