import type { ErrorCode } from '../errors.js'
import type { StatusResult } from '../ipc/methods.js'
import type { StartWarning } from './start-warnings.js'

/** The one message a detached daemon sends its launcher over the IPC channel. */
export type ReadyMessage =
  | { type: 'ready'; status: StatusResult; warnings: StartWarning[] }
  | { type: 'error'; error: { code: ErrorCode; message: string; details?: Record<string, unknown> } }
