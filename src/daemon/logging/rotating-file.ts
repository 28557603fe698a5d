import { existsSync, mkdirSync, renameSync, unlinkSync } from 'node:fs'
import path from 'node:path'
import pino from 'pino'
import { openAppendNoFollowSync } from './no-follow.js'

type Destination = ReturnType<typeof pino.destination>

export interface RotatingFileOptions {
  file: string
  /** Rotate once the current file would grow past this many bytes. */
  maxSize: number
  /** How many rotated files to keep: file.1 … file.N. */
  maxFiles: number
  onError?: (err: Error) => void
}

/**
 * A log file rotated by size, logrotate-style: the current file keeps its
 * name, older ones become file.1, file.2, …. The file is opened here, never
 * through a symbolic link (SonicBoom would follow one), and handed to SonicBoom
 * as a descriptor; a rotation or a reopen swaps in a new SonicBoom while the
 * old one writes out its buffered lines to the file it had.
 */
export class RotatingFile {
  #dest: Destination
  #size: number
  #failed = false
  /** Set when a rotation renamed the file but could not open a new one: no rotation until a reopen succeeds. */
  #held = false
  /** Destinations replaced by a rotation or a reopen, still writing out their last lines. */
  readonly #closing = new Set<Promise<void>>()

  /** Throws MSW_ERR_UNSAFE_FILE when the file is a symbolic link, and the open's own error when it cannot be opened. */
  constructor(private readonly options: RotatingFileOptions) {
    mkdirSync(path.dirname(options.file), { recursive: true, mode: 0o700 })
    const { fd, size } = openAppendNoFollowSync(options.file)
    this.#dest = this.#destination(fd)
    this.#size = size
  }

  get degraded(): boolean {
    return this.#failed
  }

  write(line: string): void {
    const bytes = Buffer.byteLength(line)
    if (this.#size > 0 && this.#size + bytes > this.options.maxSize && !this.#held) this.#rotate()
    this.#size += bytes
    this.#dest.write(line)
  }

  /**
   * Opens the file by its name again (SIGUSR1, after logrotate moved it away);
   * the lines already buffered still go to the old file. Throws, keeping the
   * old file, when the name is now a symbolic link or cannot be opened.
   */
  reopen(): void {
    this.#replace(openAppendNoFollowSync(this.options.file))
    this.#held = false
  }

  flushSync(): void {
    // A file that failed (a full disk) cannot take what is buffered: flushing would retry in a loop.
    if (this.#failed) return
    try {
      this.#dest.flushSync()
    } catch {
      // A write that failed left its line buffered; the error handler has marked the file.
    }
  }

  end(): Promise<void> {
    return Promise.all([endDestination(this.#dest, this.#failed), ...this.#closing]).then(() => undefined)
  }

  #destination(fd: number): Destination {
    // Synchronous: each line is in the file, in order, when write returns. An asynchronous
    // destination's flushSync writes its buffer ahead of a write still in flight.
    const dest = pino.destination({ dest: fd, sync: true, minLength: 0 })
    dest.on('error', (err: Error) => {
      // A replaced destination's errors are past: it only had lines for a file no longer written.
      if (dest !== this.#dest) return
      // A full or broken disk must not take the daemon down: report once, keep serving.
      if (!this.#failed) this.options.onError?.(err)
      this.#failed = true
    })
    return dest
  }

  #replace(opened: { fd: number; size: number }): void {
    const old = this.#dest
    const oldFailed = this.#failed
    this.#dest = this.#destination(opened.fd)
    this.#size = opened.size
    this.#failed = false
    const closing = endDestination(old, oldFailed).finally(() => this.#closing.delete(closing))
    this.#closing.add(closing)
  }

  #rotate(): void {
    const { file, maxFiles } = this.options
    try {
      // rename and unlink act on a link itself, never on what it points to.
      if (existsSync(`${file}.${maxFiles}`)) unlinkSync(`${file}.${maxFiles}`)
      for (let n = maxFiles - 1; n >= 1; n--) {
        if (existsSync(`${file}.${n}`)) renameSync(`${file}.${n}`, `${file}.${n + 1}`)
      }
      renameSync(file, `${file}.1`)
    } catch (err) {
      this.options.onError?.(err as Error)
      return
    }
    try {
      this.#replace(openAppendNoFollowSync(file))
    } catch (err) {
      // Something took the name between the rename and the open (a planted link): keep
      // writing to the renamed file rather than through it, and say so once.
      this.#held = true
      this.options.onError?.(err as Error)
    }
  }
}

/** Ends a destination once its buffered lines are written; a failed one cannot write them and is dropped. */
function endDestination(dest: Destination, failed: boolean): Promise<void> {
  // SonicBoom has the flag, its types do not.
  if ((dest as Destination & { destroyed?: boolean }).destroyed === true) return Promise.resolve()
  if (failed) {
    dest.destroy()
    return Promise.resolve()
  }
  return new Promise((resolve) => {
    dest.once('close', () => resolve())
    // A write that fails while ending never reaches 'close': what is left is dropped.
    dest.once('error', () => {
      dest.destroy()
      resolve()
    })
    dest.end()
  })
}
