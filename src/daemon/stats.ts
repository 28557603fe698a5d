/**
 * The daemon's running totals since start. Plain numbers bumped on the hot
 * paths; /metrics and status read them when asked, so counting costs nothing more.
 */
export class DaemonStats {
  connectionsOpened = 0
  connectionsClosed = 0
  /** Client frames received, and their bytes. */
  messagesIn = 0
  bytesIn = 0
  /** Frames written to clients, and their bytes on the wire. */
  messagesOut = 0
  bytesOut = 0
  /** Clients cut because their output buffer passed setting.max_buffered_bytes. */
  slowClientsDropped = 0
  broadcasts = 0
  pushes = 0
  kicks = 0
  reloads = 0
  /** Workers replaced after they died or were ended by the watchdog. */
  workerRestarts = 0
}
