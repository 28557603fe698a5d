/**
 * Preloaded (--import) into a baseline server that bench/lib/plain-ws-target.ts starts with
 * --expose-gc and an IPC channel: answers the runner's requests to collect the heap (node's
 * global gc(), a full collection of the main thread) and to read what is in use. Only the
 * parent process holds the channel; no other process can ask.
 */
import { youngGenerationBytes } from '../../src/daemon/control/debug-gc.js'
import { isGcRequest, type GcReply } from './gc-channel-messages.js'

if (process.send !== undefined) {
  process.on('message', (message: unknown) => {
    if (!isGcRequest(message)) return
    const gc = globalThis.gc
    let error: string | undefined
    if (message.mswooleBenchHeap === 'gc') {
      if (typeof gc === 'function') gc()
      else error = 'started without --expose-gc'
    }
    const reply: GcReply = {
      mswooleBenchHeap: 'reply',
      heapUsed: process.memoryUsage().heapUsed,
      youngGeneration: youngGenerationBytes(),
      ...(error === undefined ? {} : { error }),
    }
    process.send?.(reply)
  })
}
