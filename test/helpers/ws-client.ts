import { once } from 'node:events'
import WebSocket from 'ws'

/** Opens a WebSocket and resolves once it is open. */
export async function connect(url: string): Promise<WebSocket> {
  const ws = new WebSocket(url)
  await once(ws, 'open')
  return ws
}

/** Resolves with the close code and reason the server sent. */
export function closed(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })))
}

/** The outside address with a token the default config accepts. */
export async function clientUrl(port: number, code = 'room1'): Promise<string> {
  const { mintToken } = await import('./client.js')
  return `ws://127.0.0.1:${port}/?auth=${await mintToken({ id: 1, type: 'wechatUser', code })}`
}
