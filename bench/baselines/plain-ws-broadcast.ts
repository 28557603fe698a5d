/**
 * The fan-out floors: a plain single-process `ws` server that holds client sockets and,
 * for each broadcast request, writes the envelope to every one of them.
 *
 *   default        `const text = JSON.stringify(envelope); for (const ws of clients) ws.send(text)`:
 *                  what a typical ws application does (JSON once, a frame per socket by ws).
 *   --raw-frame    the WebSocket frame built once and written straight to each socket
 *                  (`ws._socket.write(frame)`): one write per socket per broadcast, the least
 *                  any per-socket loop costs.
 *
 *   node --import tsx bench/baselines/plain-ws-broadcast.ts [--host 127.0.0.1] [--port 0] [--raw-frame] [--stdin-lifeline]
 *
 * Clients connect to `/`. The driver connects to `/control` and sends broadcast requests
 * as text frames, as many in flight as it likes, in the shape of mswoole's control API:
 * `{"id":1,"params":{"room":"bench","event":"serverBroadcast","info":"","param":…}}`, answered
 * `{"id":1,"result":{"delivered":N}}` (sockets written) once the loop has run.
 *
 * Prints the port it listens on as the first line of stdout. Ends on SIGTERM or SIGINT,
 * and with --stdin-lifeline also when stdin closes.
 */
import type { Socket } from 'node:net'
import { parseArgs } from 'node:util'
import { WebSocketServer, type WebSocket } from 'ws'
import { serveBaseline } from '../lib/baseline-server.js'
import { wireFrame } from '../../src/daemon/clients/wire-frame.js'

const { values } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '0' },
    'raw-frame': { type: 'boolean', default: false },
    'stdin-lifeline': { type: 'boolean', default: false },
  },
})
const rawFrame = values['raw-frame']

interface BroadcastRequest {
  id: number
  params: { status?: number; event?: string; info?: string; param?: unknown }
}

// Same ws settings as mswoole's outside port: no compression, no client tracking.
const wss = new WebSocketServer({
  host: values.host,
  port: Number(values.port),
  perMessageDeflate: false,
  clientTracking: false,
  maxPayload: 1024 * 1024,
})
const clients = new Set<WebSocket>()

/** The broadcast loop under test; answers how many sockets it wrote to. */
function broadcast(params: BroadcastRequest['params']): number {
  // The key order of mswoole's envelope(), so both write the same bytes.
  const text = JSON.stringify({
    status: params.status ?? 200,
    event: params.event ?? 'serverBroadcast',
    info: params.info ?? '',
    param: params.param,
  })
  let delivered = 0
  if (rawFrame) {
    const frame = wireFrame(text)
    for (const ws of clients) {
      const socket = (ws as unknown as { _socket: Socket })._socket
      if (ws.readyState !== ws.OPEN || !socket.writable) continue
      socket.write(frame)
      delivered++
    }
  } else {
    for (const ws of clients) {
      if (ws.readyState !== ws.OPEN) continue
      ws.send(text)
      delivered++
    }
  }
  return delivered
}

function onControl(ws: WebSocket): void {
  ws.on('message', (data) => {
    let request: BroadcastRequest
    try {
      request = JSON.parse(data.toString()) as BroadcastRequest
    } catch {
      ws.send(JSON.stringify({ id: null, error: 'request is not JSON' }))
      return
    }
    ws.send(JSON.stringify({ id: request.id, result: { delivered: broadcast(request.params ?? {}) } }))
  })
  ws.on('error', () => ws.terminate())
}

wss.on('connection', (ws, req) => {
  if (req.url === '/control') {
    onControl(ws)
    return
  }
  clients.add(ws)
  ws.on('close', () => clients.delete(ws))
  ws.on('error', () => ws.terminate())
})

serveBaseline(wss, 'plain-ws-broadcast', values['stdin-lifeline'])
