// Types of mswoole-client.js, the reconnecting client for browsers and Node. See docs/client.md.

/** Where a message stands in its room's history: `"seq"` of a room envelope when app.json `history` is on. */
export interface Seq {
  room: string
  epoch: string
  offset: number
}

export interface Position {
  epoch: string
  offset: number
}

/** A frame from the server: `{status, event, info, param?}`, and `seq` for a room message. */
export interface Envelope {
  status: number
  event: string
  info: string
  param?: unknown
  seq?: Seq
  [key: string]: unknown
}

/**
 * How the recovery of one room went: the daemon's `recovered` answer (its
 * param, with the status and info). `recovered: false` means messages of the
 * room may be missing: fetch the state again. `gap` is set when the daemon
 * said recovered but the messages did not join up with the last one the app had.
 */
export interface Recovered {
  room: string
  recovered: boolean
  count?: number
  epoch?: string
  offset?: number
  status: number
  info: string
  gap?: true
}

export interface OpenInfo {
  /** False for the first connection of this client, true after a reconnect. */
  reconnect: boolean
}

export interface CloseInfo {
  code: number
  reason: string
  /** Milliseconds until the next attempt; null once `close()` stopped the client for good. */
  retryIn: number | null
}

export interface ClientEvents {
  open: OpenInfo
  message: Envelope
  recovered: Recovered
  close: CloseInfo
  error: Error
}

export type ClientState = 'connecting' | 'joining' | 'open' | 'closed'

/** What the join hook gets, on every connection. */
export interface JoinContext {
  /** False on the first connection, true after a reconnect. */
  reconnect: boolean
  /** Sends on this connection at once (`client.send` queues until the hook is done). False when it is not open. */
  send(message: object | string): boolean
  /** The next envelope whose event is `match`, or that `match` accepts; rejects after `timeoutMs` or when the connection closes. */
  next(match: string | ((envelope: Envelope) => boolean), timeoutMs?: number): Promise<Envelope>
}

/** The part of a WebSocket the client uses: the browser's, Node 22's global one, or the ws package's. */
export interface WebSocketLike {
  readonly readyState: number
  send(data: string): void
  close(code?: number, reason?: string): void
  // biome-ignore lint/suspicious/noExplicitAny: each implementation has its own event types
  onopen: ((event: any) => void) | null
  // biome-ignore lint/suspicious/noExplicitAny: idem
  onmessage: ((event: any) => void) | null
  // biome-ignore lint/suspicious/noExplicitAny: idem
  onclose: ((event: any) => void) | null
  // biome-ignore lint/suspicious/noExplicitAny: idem
  onerror: ((event: any) => void) | null
}

export type WebSocketConstructor = new (url: string) => WebSocketLike

export interface ClientOptions {
  /** The WebSocket class; defaults to the global one (browsers, Node >= 22). In Node 20: `import WebSocket from 'ws'`. */
  WebSocket?: WebSocketConstructor
  /**
   * Runs on every connection before anything else is sent: put the connection
   * back in its rooms here (a controller's join). Recovery, the queued
   * messages and the `open` event wait until the returned promise settles;
   * if it rejects, the connection is dropped and tried again.
   */
  join?: (context: JoinContext) => unknown
  /** Milliseconds between keepalive pings (the text frame `2`); 0: none. A ping left unanswered until the next drops the connection. Default 25000. */
  keepalive?: number
  /** The first retry waits a random time below this; each failure doubles it. Default 1000 ms. */
  minDelay?: number
  /** The cap of that doubling. Default 30000 ms. */
  maxDelay?: number
  /** A connection that lived this long resets the backoff. Default 10000 ms. */
  stableAfter?: number
  /** After a close with 1001 (going away) or 1012 (service restart, a drained stop) the wait is random below this instead of the backoff's; 0: the backoff's. Default 5000 ms. */
  restartDelay?: number
  /** How many messages `send` queues while not open; 0: `send` returns false instead. Default 100. */
  queue?: number
  /** How long to wait for a `recovered` answer before giving up on that room (reported as recovered: false). Default 10000 ms. */
  recoverTimeout?: number
  /** The default timeout of the join hook's `next`. Default 10000 ms. */
  joinTimeout?: number
}

/**
 * A connection to an mswoole (MSwoole-ws) server that reconnects on its own,
 * recovers the rooms' messages it missed, and gives the app each message once.
 */
export class MswClient {
  /** Connects at once. `url` carries the token (`ws://host:port/?auth=<token>`); a function is called for each connection. */
  constructor(url: string | URL | (() => string | URL), options?: ClientOptions)
  readonly state: ClientState
  /** Returns a function that removes the listener. */
  on<K extends keyof ClientEvents>(type: K, listener: (detail: ClientEvents[K]) => void): () => void
  /** Sends now when open; otherwise queues (see `queue`). False when neither. */
  send(message: object | string): boolean
  /** The position of the last message the app got, per room. */
  positions(): Record<string, Position>
  /** Closes and stops for good; queued messages are dropped. */
  close(code?: number, reason?: string): void
}
