/**
 * One process that holds idle WebSocket connections for bench/lib/idle-clients.ts: it opens
 * them with bench/fan-out-client.ts (raw TCP sockets, bounded batches, answering pings) and
 * keeps them until told to close or until its parent goes (the IPC channel is its lifeline).
 *
 *   parent → { type: 'open', urls, sourceAddresses, firstSource, connectConcurrency, protocol }
 *   holder → { type: 'opened', connect }            once every upgrade succeeded or failed
 *   parent → { type: 'counts' }   holder → { type: 'counts', open, disconnected, otherFrames }
 *   parent → { type: 'close' }    the holder drops its sockets and exits
 */
import { FanOutClient, type ConnectFigures } from '../fan-out-client.js'
import type { WireProtocol } from '../load-client.js'

export interface OpenRequest {
  type: 'open'
  urls: string[]
  sourceAddresses: number
  firstSource: number
  connectConcurrency: number
  /** 'socketio' for a Socket.IO server's clients (the connect after the upgrade, pongs to its pings). */
  protocol: WireProtocol
}

export type HolderRequest = OpenRequest | { type: 'counts' } | { type: 'close' }

export type HolderAnswer =
  | { type: 'opened'; connect: ConnectFigures }
  | { type: 'counts'; open: number; disconnected: number; otherFrames: number }
  | { type: 'failed'; error: string }

function answer(message: HolderAnswer): void {
  process.send?.(message)
}

let client: FanOutClient | undefined

function exit(): void {
  client?.close()
  process.exit(0)
}

process.on('disconnect', exit)
process.on('message', (request: HolderRequest) => {
  if (request.type === 'open') {
    FanOutClient.open({
      url: (i) => request.urls[i]!,
      connections: request.urls.length,
      connectConcurrency: request.connectConcurrency,
      sourceAddresses: request.sourceAddresses,
      firstSource: request.firstSource,
      protocol: request.protocol,
    }).then(
      (opened) => {
        client = opened
        answer({ type: 'opened', connect: opened.connect })
      },
      (err: unknown) => answer({ type: 'failed', error: err instanceof Error ? err.message : String(err) }),
    )
  } else if (request.type === 'counts') {
    answer({ type: 'counts', open: client?.open ?? 0, disconnected: client?.disconnected ?? 0, otherFrames: client?.otherFrames ?? 0 })
  } else {
    exit()
  }
})
