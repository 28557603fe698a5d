/**
 * A server's JavaScript heap, read and collected from outside through Node's own inspector:
 * SIGUSR1 makes any Node process open it on 127.0.0.1:9229 (no flag at start, no code of the
 * server's own), and the DevTools protocol then forces a full garbage collection
 * (HeapProfiler.collectGarbage) and reads the heap in use (Runtime.getHeapUsage, the main
 * thread's isolate: what process.memoryUsage().heapUsed says). Nothing is evaluated in the server.
 *
 * One process at a time: the port is Node's default, so the probe first waits for it to be
 * free, and checks that the socket listening there is the signalled pid's.
 */
import { readdirSync, readlinkSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import WebSocket from 'ws'
import { listenerInode } from './proc-memory.js'

const INSPECTOR_HOST = '127.0.0.1'
export const INSPECTOR_PORT = 9229
const CALL_TIMEOUT_MS = 60_000

export interface HeapProbe {
  /** Bytes of the main thread's JavaScript heap in use, garbage included. */
  heapUsed(): Promise<number>
  /** A full, compacting collection (the one DevTools' "collect garbage" runs). */
  collectGarbage(): Promise<void>
  close(): void
}

interface InspectorTarget {
  webSocketDebuggerUrl?: string
}

/** Whether `pid` holds the socket with this inode among its descriptors. */
function holdsSocket(pid: number, inode: string): boolean {
  const wanted = `socket:[${inode}]`
  try {
    return readdirSync(`/proc/${pid}/fd`).some((fd) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`) === wanted
      } catch {
        return false // closed while we looked
      }
    })
  } catch {
    return false
  }
}

async function inspectorTargets(): Promise<InspectorTarget[] | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${INSPECTOR_PORT}/json/list`, { signal: AbortSignal.timeout(1000) })
    return (await res.json()) as InspectorTarget[]
  } catch {
    return undefined
  }
}

/**
 * Opens the inspector of `pid` and connects to it. Throws with the reason when it cannot: the
 * port held by another process past `waitMs`, no /proc, or no answer from the pid.
 */
export async function openHeapProbe(pid: number, waitMs = 10_000): Promise<HeapProbe> {
  const deadline = performance.now() + waitMs
  // A server measured before this one may still be exiting with its inspector open.
  while (listenerInode(INSPECTOR_HOST, INSPECTOR_PORT) !== undefined) {
    if (performance.now() > deadline) throw new Error(`127.0.0.1:${INSPECTOR_PORT} is held by another process, so the inspector of pid ${pid} cannot open there`)
    await sleep(200)
  }
  process.kill(pid, 'SIGUSR1')
  let url: string | undefined
  while (url === undefined) {
    if (performance.now() > deadline) throw new Error(`pid ${pid} opened no inspector on 127.0.0.1:${INSPECTOR_PORT} after SIGUSR1`)
    await sleep(100)
    const inode = listenerInode(INSPECTOR_HOST, INSPECTOR_PORT)
    if (inode === undefined) continue
    if (!holdsSocket(pid, inode)) throw new Error(`127.0.0.1:${INSPECTOR_PORT} was taken by another process before pid ${pid} opened its inspector there`)
    url = (await inspectorTargets())?.[0]?.webSocketDebuggerUrl
  }
  const ws = new WebSocket(url, { perMessageDeflate: false })
  await new Promise<void>((resolve, reject) => {
    ws.once('open', resolve)
    ws.once('error', reject)
  })
  let nextId = 1
  const pending = new Map<number, { resolve: (result: unknown) => void; reject: (err: Error) => void; timer: NodeJS.Timeout }>()
  const failAll = (err: Error) => {
    for (const p of pending.values()) {
      clearTimeout(p.timer)
      p.reject(err)
    }
    pending.clear()
  }
  ws.on('error', failAll)
  ws.on('close', () => failAll(new Error(`the inspector of pid ${pid} closed`)))
  ws.on('message', (data) => {
    const message = JSON.parse(data.toString()) as { id?: number; result?: unknown; error?: { message: string } }
    const p = message.id === undefined ? undefined : pending.get(message.id)
    if (p === undefined || message.id === undefined) return // an event, not an answer
    pending.delete(message.id)
    clearTimeout(p.timer)
    if (message.error !== undefined) p.reject(new Error(`inspector: ${message.error.message}`))
    else p.resolve(message.result)
  })
  const call = <T>(method: string): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const id = nextId++
      const timer = setTimeout(() => {
        pending.delete(id)
        reject(new Error(`inspector: ${method} got no answer within ${CALL_TIMEOUT_MS} ms`))
      }, CALL_TIMEOUT_MS)
      pending.set(id, { resolve: (r) => resolve(r as T), reject, timer })
      ws.send(JSON.stringify({ id, method }))
    })
  return {
    heapUsed: async () => (await call<{ usedSize: number }>('Runtime.getHeapUsage')).usedSize,
    collectGarbage: async () => {
      await call('HeapProfiler.collectGarbage')
    },
    close: () => ws.close(),
  }
}
