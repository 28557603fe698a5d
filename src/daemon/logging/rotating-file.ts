import { existsSync, renameSync, statSync, unlinkSync } from 'node:fs'
import pino from 'pino'

type Destination = ReturnType<typeof pino.destination>

export interface RotatingFileOptions {
  file: string
  /** Rotate once the current file would grow past this many bytes (lines that come while the new file opens may overshoot it). */
  maxSize: number
  /** How many rotated files to keep: file.1 … file.N. */
  maxFiles: number
  onError?: (err: Error) => void
}

/**
 * A log file rotated by size, logrotate-style: the current file keeps its
 * name, older ones become file.1, file.2, …; SonicBoom's reopen() makes the
 * switch without losing buffered lines.
 */
export class RotatingFile {
  readonly #dest: Destination
  #size: number
  #failed = false
  /** True until the file (or, after a rotation, the new file) is open: no rotation may run meanwhile. */
  #opening = true

  constructor(private readonly options: RotatingFileOptions) {
    this.#dest = pino.destination({ dest: options.file, sync: false, mkdir: true, minLength: 0, mode: 0o600 })
    this.#size = existsSync(options.file) ? statSync(options.file).size : 0
    this.#dest.on('ready', () => {
      this.#opening = false
    })
    this.#dest.on('error', (err: Error) => {
      this.#opening = false
      // A full or broken disk must not take the daemon down: report once, keep serving.
      if (!this.#failed) options.onError?.(err)
      this.#failed = true
    })
  }

  get degraded(): boolean {
    return this.#failed
  }

  write(line: string): void {
    const bytes = Buffer.byteLength(line)
    // While the new file is still being opened it does not exist yet: rotating again would
    // fail to rename it and push the older files out; its lines wait in the buffer instead.
    if (this.#size > 0 && this.#size + bytes > this.options.maxSize && !this.#opening) this.#rotate()
    this.#size += bytes
    this.#dest.write(line)
  }

  flushSync(): void {
    // A file that failed (a full disk) cannot take what is buffered: flushing would retry in a loop.
    if (this.#failed) return
    try {
      this.#dest.flushSync()
    } catch {
      // flushSync throws when nothing is open yet or the fd is busy; the async path still drains.
    }
  }

  end(): Promise<void> {
    if (this.#failed) {
      // Its buffered lines cannot be written; ending would wait for them forever.
      this.#dest.destroy()
      return Promise.resolve()
    }
    return new Promise((resolve) => {
      this.#dest.once('close', () => resolve())
      this.#dest.end()
    })
  }

  #rotate(): void {
    const { file, maxFiles } = this.options
    try {
      if (existsSync(`${file}.${maxFiles}`)) unlinkSync(`${file}.${maxFiles}`)
      for (let n = maxFiles - 1; n >= 1; n--) {
        if (existsSync(`${file}.${n}`)) renameSync(`${file}.${n}`, `${file}.${n + 1}`)
      }
      renameSync(file, `${file}.1`)
      this.#opening = true
      this.#dest.reopen()
      this.#size = 0
    } catch (err) {
      this.options.onError?.(err as Error)
    }
  }
}
