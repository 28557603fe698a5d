/**
 * How the fan-out driver asks a server to broadcast: mswoole through its control socket
 * (the `broadcast` method, as `mswoole broadcast` and backends call it), the plain `ws`
 * floors through their control WebSocket. Both take any number of requests in flight on
 * one connection, and answer each with the number of sockets written.
 */
import WebSocket from 'ws'
import { IpcClient } from '../../src/ipc/client.js'
import type { DeliveryResult } from '../../src/contracts/control-api.js'

export interface BroadcastTrigger {
  /** Broadcasts `{status: 200, event: "serverBroadcast", info: "", param}` to the room; resolves with the sockets written. */
  broadcast(param: unknown): Promise<number>
  close(): void
}

/** The room every bench connection joins (its token's `code`). */
export const BENCH_ROOM = 'bench'
const CALL_TIMEOUT_MS = 60_000

export interface MswooleTrigger extends BroadcastTrigger {
  /** broadcast(), answered in full: the sockets written on this node, and the other nodes of its cluster it was published to. */
  send(param: unknown): Promise<DeliveryResult>
}

export async function mswooleTrigger(socketPath: string): Promise<MswooleTrigger> {
  const client = await IpcClient.connect(socketPath, 5000)
  const send = (param: unknown) =>
    client.call('broadcast', { room: BENCH_ROOM, event: 'serverBroadcast', info: '', param }, { timeoutMs: CALL_TIMEOUT_MS })
  return {
    send,
    broadcast: async (param) => (await send(param)).delivered,
    close: () => client.close(),
  }
}

/** The control WebSocket of bench/baselines/plain-ws-broadcast.ts: `{"id","params"}` in, `{"id","result":{"delivered"}}` out. */
export async function baselineTrigger(port: number): Promise<BroadcastTrigger> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/control`, { perMessageDeflate: false, handshakeTimeout: 5000 })
  const pending = new Map<number, { resolve: (n: number) => void; reject: (err: Error) => void; timer: NodeJS.Timeout }>()
  await new Promise<void>((resolve, reject) => {
    ws.once('open', resolve)
    ws.once('error', reject)
  })
  const failAll = (err: Error) => {
    for (const p of pending.values()) {
      clearTimeout(p.timer)
      p.reject(err)
    }
    pending.clear()
  }
  ws.on('error', (err) => failAll(err))
  ws.on('close', () => failAll(new Error('the control connection closed')))
  ws.on('message', (data) => {
    let answer: { id: number; result?: { delivered: number }; error?: string }
    try {
      answer = JSON.parse(data.toString()) as typeof answer
    } catch {
      failAll(new Error(`the control connection answered with something that is not JSON: ${data.toString().slice(0, 80)}`))
      return
    }
    const p = pending.get(answer.id)
    if (p === undefined) return
    pending.delete(answer.id)
    clearTimeout(p.timer)
    if (answer.result !== undefined) p.resolve(answer.result.delivered)
    else p.reject(new Error(answer.error ?? 'broadcast failed'))
  })
  let nextId = 1
  return {
    broadcast(param) {
      const id = nextId++
      return new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id)
          reject(new Error(`broadcast ${id}: no answer within ${CALL_TIMEOUT_MS} ms`))
        }, CALL_TIMEOUT_MS)
        pending.set(id, { resolve, reject, timer })
        ws.send(JSON.stringify({ id, params: { room: BENCH_ROOM, event: 'serverBroadcast', info: '', param } }))
      })
    },
    close: () => ws.terminate(),
  }
}
