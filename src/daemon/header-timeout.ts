import type { ServerOptions } from 'node:http'

/** Node's own limit on a whole plain request, headers and body. */
const NODE_REQUEST_TIMEOUT_MS = 300_000

/**
 * http.Server options that cut a connection whose request line and headers
 * have not all arrived `headerTimeoutMs` after it opened (or after its last
 * request began): Node answers 408 (through 'clientError' when the server has
 * a listener) and closes it. An upgrade is a request until its headers end,
 * so a half-sent WebSocket upgrade is cut too. Node checks these deadlines only
 * every connectionsCheckingInterval, 30 s by default: with its default 60 s
 * headersTimeout a half-sent request lived 60 to 90 s. Checking at least twice
 * per timeout keeps the cut within half a timeout (at most a second) of it.
 */
export function headerTimeoutOptions(headerTimeoutMs: number, requestTimeoutMs = NODE_REQUEST_TIMEOUT_MS): ServerOptions {
  return {
    headersTimeout: headerTimeoutMs,
    // Node refuses a header deadline later than the whole request's.
    requestTimeout: Math.max(requestTimeoutMs, headerTimeoutMs),
    connectionsCheckingInterval: Math.max(1, Math.min(1000, Math.ceil(headerTimeoutMs / 2))),
  }
}
