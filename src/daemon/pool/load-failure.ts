import { MswError } from '../../errors.js'
import type { LoadErrorMessage } from '../../contracts/thread-channel.js'

/** The error a worker's loadError stands for, worded for the operator who runs `start` or `reload`. */
export function loadFailure(message: LoadErrorMessage): MswError {
  if (message.code !== undefined && message.code !== 'MSW_ERR_APP_LOAD') {
    // A migration or the database: the worker's message already names what failed and where.
    return new MswError(message.code, message.message, message.details === undefined ? {} : { details: message.details })
  }
  const where = message.file && !message.message.includes(message.file) ? `${message.file}${message.line ? `:${message.line}` : ''}: ` : ''
  return new MswError('MSW_ERR_APP_LOAD', `cannot load the application: ${where}${message.message}`, {
    details: { file: message.file, line: message.line },
  })
}
