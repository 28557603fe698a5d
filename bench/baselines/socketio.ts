/**
 * The Socket.IO baseline: what users pick instead of mswoole. A Socket.IO 4 server with the
 * Redis adapter (`@socket.io/redis-adapter` on ioredis) for rooms, WebSocket transport only
 * and no compression, so it is WebSocket against WebSocket with the other subjects.
 *
 *   request/reply  every `message` event is answered the way mswoole answers `index.index.index`
 *                  by default (and bench/baselines/plain-ws.ts does): the ack, then the reply,
 *                  each an `emit('message', envelope)`. Not an object: a `badRequest` envelope.
 *   fan-out        every client joins the room `bench`. Broadcast requests arrive on a control
 *                  WebSocket at `/control`, as bench/baselines/plain-ws-broadcast.ts takes them
 *                  (`{"id":1,"params":{"room","event","info","param"}}` in, `{"id":1,"result":{"delivered":N}}`
 *                  out, N the room's size), and each is `io.to(room).emit('message', envelope)`.
 *
 * On one node the adapter still publishes every broadcast to Redis (and reads it back on its
 * own subscription, then drops it): that is the cost of the setup users deploy, measured as is.
 *
 *   node --import tsx bench/baselines/socketio.ts --redis redis://127.0.0.1:6379 [--host 127.0.0.1] [--port 0] [--stdin-lifeline]
 *
 * Clients connect to `/socket.io/?EIO=4&transport=websocket`. Prints the port it listens on as
 * the first line of stdout. Ends on SIGTERM or SIGINT, and with --stdin-lifeline also when stdin closes.
 */
import { createServer } from 'node:http'
import { parseArgs } from 'node:util'
import { createAdapter } from '@socket.io/redis-adapter'
import { Redis } from 'ioredis'
import { Server } from 'socket.io'
import { WebSocketServer, type RawData, type WebSocket } from 'ws'
import { wireTexts } from '../../src/protocol/wire-format.js'

const { values } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '0' },
    redis: { type: 'string' },
    'stdin-lifeline': { type: 'boolean', default: false },
  },
})
if (values.redis === undefined) {
  process.stderr.write('socketio: --redis redis://host:port is required (the adapter needs a Redis server)\n')
  process.exit(2)
}

/** The room every bench client joins, as every mswoole bench connection's token puts it in `bench`. */
const ROOM = 'bench'
/** The one event name both ways: its payload is the envelope the other subjects send as the whole frame. */
const EVENT = 'message'
// The seed's ack text, as mswoole sends it by default (Socket.IO writes it as plain UTF-8 JSON).
const ACK = { status: 200, event: 'receiveMessage', info: wireTexts('seed').ack }
const BAD_REQUEST = { status: 400, event: 'badRequest', info: 'message is not valid JSON' }

function fail(what: string, err: Error): never {
  process.stderr.write(`socketio: ${what}: ${err.message}\n`)
  process.exit(1)
}

const pub = new Redis(values.redis, { lazyConnect: true, maxRetriesPerRequest: 1 })
const sub = pub.duplicate()
pub.on('error', (err: Error) => fail('redis publisher', err))
sub.on('error', (err: Error) => fail('redis subscriber', err))
await Promise.all([pub.connect(), sub.connect()])

const http = createServer()
const io = new Server(http, {
  transports: ['websocket'],
  perMessageDeflate: false,
  httpCompression: false,
  serveClient: false,
  // /control is for the ws server below, not a stray upgrade to cut.
  destroyUpgrade: false,
  adapter: createAdapter(pub, sub),
})

io.on('connection', (socket) => {
  void socket.join(ROOM)
  socket.on(EVENT, (message: unknown) => {
    if (typeof message !== 'object' || message === null) {
      socket.emit(EVENT, BAD_REQUEST)
      return
    }
    socket.emit(EVENT, ACK)
    // Built per message, as a handler's reply would be.
    socket.emit(EVENT, { status: 200, event: 'success', info: '执行完成' })
  })
})

interface BroadcastRequest {
  id: number
  params?: { room?: string; status?: number; event?: string; info?: string; param?: unknown }
}

/** Broadcasts one control request to its room; the answer says how many sockets the room holds. */
function answer(request: BroadcastRequest): string {
  const { room = ROOM, status = 200, event = 'serverBroadcast', info = '', param } = request.params ?? {}
  // The key order of mswoole's envelope(), so the payload is the same bytes.
  io.to(room).emit(EVENT, { status, event, info, param })
  return JSON.stringify({ id: request.id, result: { delivered: io.sockets.adapter.rooms.get(room)?.size ?? 0 } })
}

function parseRequest(data: RawData): BroadcastRequest | undefined {
  try {
    return JSON.parse(String(data)) as BroadcastRequest
  } catch {
    return undefined
  }
}

const control = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 1024 * 1024 })
http.on('upgrade', (req, socket, head) => {
  if (req.url?.startsWith('/socket.io/') === true) return // engine.io's own listener takes these
  if (req.url !== '/control') {
    socket.destroy()
    return
  }
  control.handleUpgrade(req, socket, head, (ws: WebSocket) => {
    ws.on('message', (data) => {
      const request = parseRequest(data)
      ws.send(request === undefined ? JSON.stringify({ id: null, error: 'request is not JSON' }) : answer(request))
    })
    ws.on('error', () => ws.terminate())
  })
})

const shutdown = () => {
  void io.close()
  pub.disconnect()
  sub.disconnect()
  process.exit(0)
}
process.once('SIGTERM', shutdown)
process.once('SIGINT', shutdown)
if (values['stdin-lifeline']) {
  process.stdin.resume()
  process.stdin.once('end', shutdown)
  process.stdin.once('close', shutdown)
}
http.on('error', (err) => fail('listen', err))
http.listen(Number(values.port), values.host, () => {
  const address = http.address()
  process.stdout.write(`${typeof address === 'object' && address !== null ? address.port : String(address)}\n`)
})
