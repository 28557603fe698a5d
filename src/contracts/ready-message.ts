import type { ErrorCode } from '../errors.js'
import type { StatusResult } from './control-api.js'

/** The one message a detached daemon sends its launcher over the IPC channel. */
export type ReadyMessage =
  | { type: 'ready'; status: StatusResult; warnings: StartWarning[] }
  | { type: 'error'; error: { code: ErrorCode; message: string; details?: Record<string, unknown> } }

/** A setting the daemon runs with but the operator should change: logged, and told to `mswoole start`. */
export interface StartWarning {
  /** The setting, as a dotted path. */
  key: string
  message: string
  /** The port it is about. */
  host: string
  port: number
}
