import { createInterface } from 'node:readline'
import type { Readable } from 'node:stream'

interface Waiter {
  /** The index of the line this waiter wants, or -1 while it has not come. */
  pick: (lines: string[]) => number
  resolve: (line: string) => void
  reject: (err: Error) => void
}

/**
 * Collects the lines of a stream (a child's stdout, a socket) so a test can
 * await the line it expects: every wait resolves on a line event, never on a timer,
 * and fails as soon as the stream ends without the line.
 */
export class LineCollector {
  readonly lines: string[] = []
  #consumed = 0
  #ended = false
  #waiters: Waiter[] = []

  constructor(
    stream: Readable,
    readonly what = 'stream',
  ) {
    const reader = createInterface({ input: stream, crlfDelay: Infinity })
    reader.on('line', (line) => {
      this.lines.push(line)
      this.#settle()
    })
    reader.on('close', () => {
      this.#ended = true
      this.#settle()
    })
  }

  /** The first line, seen or still to come, that passes `test`. */
  waitFor(test: (line: string) => boolean): Promise<string> {
    return new Promise((resolve, reject) => {
      this.#waiters.push({ pick: (lines) => lines.findIndex(test), resolve, reject })
      this.#settle()
    })
  }

  /** The first line, seen or still to come, that is JSON passing `test`. */
  async waitForJson<T = Record<string, unknown>>(test: (value: T) => boolean): Promise<T> {
    const line = await this.waitFor((text) => {
      const value = parseJson(text)
      return value !== undefined && test(value as T)
    })
    return JSON.parse(line) as T
  }

  /** The next line that no earlier next() returned (for request/answer exchanges). */
  next(): Promise<string> {
    const from = this.#consumed++
    return new Promise((resolve, reject) => {
      this.#waiters.push({ pick: (lines) => (from < lines.length ? from : -1), resolve, reject })
      this.#settle()
    })
  }

  #settle(): void {
    for (const waiter of [...this.#waiters]) {
      const index = waiter.pick(this.lines)
      if (index !== -1) {
        this.#remove(waiter)
        waiter.resolve(this.lines[index] as string)
      } else if (this.#ended) {
        this.#remove(waiter)
        waiter.reject(new Error(`${this.what} ended without the expected line; it printed:\n${this.lines.join('\n')}`))
      }
    }
  }

  #remove(waiter: Waiter): void {
    this.#waiters.splice(this.#waiters.indexOf(waiter), 1)
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}
