/**
 * The floor: a plain single-process `ws` server that answers every JSON message
 * the way mswoole answers `index.index.index` by default — the ack, then the reply.
 * No auth, no routing, no workers: what any Node WebSocket server costs at least.
 *
 *   node --import tsx bench/baselines/plain-ws.ts [--host 127.0.0.1] [--port 0] [--stdin-lifeline]
 *
 * Prints the port it listens on as the first line of stdout. Ends on SIGTERM or
 * SIGINT, and with --stdin-lifeline also when stdin closes, so a benchmark runner
 * that dies cannot leave it behind.
 */
import { parseArgs } from 'node:util'
import { WebSocketServer } from 'ws'
import { phpJsonEncode } from '../../src/protocol/php-json.js'
import { wireTexts } from '../../src/protocol/wire-format.js'
import { serveBaseline } from '../lib/baseline-server.js'

const { values } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '0' },
    'stdin-lifeline': { type: 'boolean', default: false },
  },
})

// Byte for byte what mswoole writes in its default (seed) wire format: the seed's text, as PHP's json_encode escapes it.
const ACK = phpJsonEncode({ status: 200, event: 'receiveMessage', info: wireTexts('seed').ack })
const BAD_REQUEST = JSON.stringify({ status: 400, event: 'badRequest', info: 'message is not valid JSON' })

// Same ws settings as mswoole's outside port: no compression, no client tracking.
const wss = new WebSocketServer({
  host: values.host,
  port: Number(values.port),
  perMessageDeflate: false,
  clientTracking: false,
  maxPayload: 65536,
})

wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => {
    let message: unknown
    try {
      message = isBinary ? undefined : JSON.parse(data.toString())
    } catch {
      message = undefined
    }
    if (typeof message !== 'object' || message === null) {
      ws.send(BAD_REQUEST)
      return
    }
    ws.send(ACK)
    // Built per message, as a handler's reply would be.
    ws.send(JSON.stringify({ status: 200, event: 'success', info: '执行完成' }))
  })
  ws.on('error', () => ws.terminate())
})

serveBaseline(wss, 'plain-ws', values['stdin-lifeline'])
