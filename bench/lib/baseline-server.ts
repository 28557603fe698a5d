/**
 * What every baseline server under bench/baselines/ does around its own logic: print
 * its port as the first line of stdout, and end on SIGTERM, SIGINT and (with
 * --stdin-lifeline) when stdin closes, so a runner that dies cannot leave it behind.
 */
import type { WebSocketServer } from 'ws'

export function serveBaseline(wss: WebSocketServer, name: string, stdinLifeline: boolean): void {
  wss.on('listening', () => {
    const address = wss.address()
    process.stdout.write(`${typeof address === 'object' && address !== null ? address.port : String(address)}\n`)
  })
  wss.on('error', (err) => {
    process.stderr.write(`${name}: ${err.message}\n`)
    process.exit(1)
  })
  const shutdown = () => {
    wss.close()
    process.exit(0)
  }
  process.once('SIGTERM', shutdown)
  process.once('SIGINT', shutdown)
  if (stdinLifeline) {
    process.stdin.resume()
    process.stdin.once('end', shutdown)
    process.stdin.once('close', shutdown)
  }
}
