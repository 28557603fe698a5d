import { MswError } from '../errors.js'

export interface MigrationErrorWhere {
  /** `<Module>/<file base name>`, as the migration table records it. */
  migration?: string | undefined
  file?: string | undefined
  line?: number | undefined
}

/** A migration that cannot be loaded or that failed, with where to look. */
export class MigrationError extends MswError {
  readonly migration: string | undefined
  readonly file: string | undefined
  readonly line: number | undefined

  constructor(message: string, where: MigrationErrorWhere = {}, cause?: unknown) {
    const details: Record<string, unknown> = {}
    if (where.migration !== undefined) details.migration = where.migration
    if (where.file !== undefined) details.file = where.file
    if (where.line !== undefined) details.line = where.line
    super('MSW_ERR_MIGRATION_FAILED', message, { cause, details })
    this.name = 'MigrationError'
    this.migration = where.migration
    this.file = where.file
    this.line = where.line
  }
}
