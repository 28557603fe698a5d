import { MswError } from '../errors.js'

/**
 * Why the application could not be loaded, with the place to look: the file
 * (the controller, or the helper it imports when the fault is there) and,
 * when the error says so, the line and column.
 */
export class ControllerLoadError extends MswError {
  readonly file: string
  readonly line: number | undefined
  readonly column: number | undefined

  constructor(message: string, where: { file: string; line?: number | undefined; column?: number | undefined }, cause?: unknown) {
    const details: Record<string, unknown> = { file: where.file }
    if (where.line !== undefined) details.line = where.line
    if (where.column !== undefined) details.column = where.column
    super('MSW_ERR_APP_LOAD', message, { cause, details })
    this.name = 'ControllerLoadError'
    this.file = where.file
    this.line = where.line
    this.column = where.column
  }
}
