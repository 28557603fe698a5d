import { statSync } from 'node:fs'
import type { Handlers } from '../../ipc/server.js'
import { levelFilter } from '../../logs/levels.js'
import { readTail } from '../../logs/read-tail.js'
import type { Daemon } from '../daemon.js'

/** The control API, implemented once; the control socket (and later the manager port) serve it. */
export function createControlApi(daemon: Daemon): Handlers {
  return {
    status: async () => daemon.status(),
    stop: async ({ timeout }) => daemon.stop(timeout),
    reload: async () => daemon.reload(),
    'logs.tail': async ({ lines, follow, level }, ctx) => {
      const file = daemon.config.paths.logFile
      const keep = levelFilter(level)
      // Flush, note where the file ends and subscribe in one synchronous step:
      // the tail covers everything before that point and the stream everything after.
      daemon.log.flushSync()
      const end = sizeOf(file)
      if (follow) {
        const unfollow = daemon.log.tap.follow((line) => {
          const text = line.endsWith('\n') ? line.slice(0, -1) : line
          if (keep(text)) ctx.notify('logs.line', { line: text })
        })
        ctx.onClose(unfollow)
      }
      const tail = end === undefined ? [] : await readTail(file, lines, keep, end)
      return { lines: tail, file }
    },
  }
}

function sizeOf(file: string): number | undefined {
  try {
    return statSync(file).size
  } catch {
    return undefined
  }
}
