/**
 * A server's JavaScript heap, collected and read on request, with nothing any other user can
 * reach: no inspector, no signal, no port.
 *
 * - mswoole: started with `mswoole start --expose-gc` (hidden flag), its control socket (mode
 *   0600 in a 0700 folder: the daemon's user only) answers `debug.gc` with a full collection of
 *   the master's heap and what is left in use (process.memoryUsage().heapUsed).
 * - The baselines: started by bench/lib/plain-ws-target.ts with --expose-gc and an IPC channel
 *   to this process; bench/lib/gc-channel.ts, preloaded in them, answers the same on it.
 *
 * Either way the collection is node's global gc(): a full, synchronous mark-compact of the main
 * thread's heap (worker threads keep their own heaps, never forced here).
 */
import type { ChildProcess } from 'node:child_process'
import { IpcClient } from '../../src/ipc/client.js'
import { isGcReply, type GcReply, type GcRequest } from './gc-channel-messages.js'

const CALL_TIMEOUT_MS = 60_000

export interface Collected {
  /** Bytes V8 holds for the main thread's young generation (new space) after the collection. */
  youngGeneration: number
}

export interface HeapProbe {
  /** Bytes of the main thread's JavaScript heap in use, garbage included. */
  heapUsed(): Promise<number>
  /** A full collection of the main thread's heap; answers what V8 then holds for its young generation. */
  collectGarbage(): Promise<Collected>
  close(): void
}

/**
 * mswoole's probe, over its control socket. Throws with the reason when the daemon was not
 * started with --expose-gc (MSW_ERR_DEBUG_DISABLED) or does not answer.
 */
export async function openControlHeapProbe(socket: string): Promise<HeapProbe> {
  const ipc = await IpcClient.connect(socket, 5000)
  try {
    // Asks once up front, so a daemon without the flag is known before any reading.
    await ipc.call('debug.gc', {}, { timeoutMs: CALL_TIMEOUT_MS })
  } catch (err) {
    ipc.close()
    throw err
  }
  return {
    heapUsed: async () => (await ipc.call('status', {}, { timeoutMs: CALL_TIMEOUT_MS })).memory.heapUsed,
    collectGarbage: async () => {
      const { youngGeneration } = await ipc.call('debug.gc', {}, { timeoutMs: CALL_TIMEOUT_MS })
      return { youngGeneration }
    },
    close: () => ipc.close(),
  }
}

/** A baseline's probe, over the IPC channel of a child started with --expose-gc and bench/lib/gc-channel.ts. */
export async function openChildHeapProbe(child: ChildProcess): Promise<HeapProbe> {
  if (!child.connected) throw new Error(`pid ${child.pid} has no IPC channel to collect its garbage through`)
  let queue: Promise<unknown> = Promise.resolve()
  // One request at a time: the replies carry no id.
  const ask = (op: GcRequest['mswooleBenchHeap']): Promise<GcReply> => {
    const answer = queue.then(() => askOnce(child, op))
    queue = answer.catch(() => undefined)
    return answer
  }
  // Asks once up front, as for mswoole.
  await ask('gc')
  return {
    heapUsed: async () => (await ask('read')).heapUsed,
    collectGarbage: async () => ({ youngGeneration: (await ask('gc')).youngGeneration }),
    close: () => undefined,
  }
}

function askOnce(child: ChildProcess, op: GcRequest['mswooleBenchHeap']): Promise<GcReply> {
  return new Promise<GcReply>((resolve, reject) => {
    const done = (err: Error | undefined, reply?: GcReply) => {
      clearTimeout(timer)
      child.off('message', onMessage)
      child.off('exit', onExit)
      if (err || reply === undefined) reject(err ?? new Error(`pid ${child.pid}: no reply`))
      else resolve(reply)
    }
    const timer = setTimeout(() => done(new Error(`pid ${child.pid}: no answer to ${op} within ${CALL_TIMEOUT_MS} ms`)), CALL_TIMEOUT_MS)
    const onMessage = (message: unknown) => {
      if (!isGcReply(message)) return
      if (message.error !== undefined) done(new Error(`pid ${child.pid}: ${message.error}`))
      else done(undefined, message)
    }
    const onExit = () => done(new Error(`pid ${child.pid} exited`))
    child.on('message', onMessage)
    child.once('exit', onExit)
    const request: GcRequest = { mswooleBenchHeap: op }
    child.send(request)
  })
}
