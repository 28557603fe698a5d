import { PostgresAdapter, SqliteAdapter, type DialectAdapter, type Kysely } from 'kysely'
import { MswError } from '../errors.js'

/** The databases mswoole opens from config/db.json. */
export type DbDialect = 'sqlite' | 'postgres'

/**
 * Set on the adapters mswoole makes. A registered symbol, not instanceof
 * alone: an application may reach this module through another module
 * instance (a TypeScript loader namespace), whose Kysely classes differ.
 */
export const DIALECT_BRAND: unique symbol = Symbol.for('mswoole.db.dialect')

/**
 * Which database `db` talks to, for the migrations and queries that must
 * differ (`serial` or `integer primary key autoincrement`, say). Works on a
 * transaction or a connection as well as on `app.db()`.
 */
export function dialectOf<DB>(db: Kysely<DB>): DbDialect {
  const adapter: DialectAdapter & { [DIALECT_BRAND]?: DbDialect } = db.getExecutor().adapter
  const branded = adapter[DIALECT_BRAND]
  if (branded !== undefined) return branded
  // A Kysely the application built itself with Kysely's own dialects.
  if (adapter instanceof PostgresAdapter) return 'postgres'
  if (adapter instanceof SqliteAdapter) return 'sqlite'
  throw new MswError('MSW_ERR_INVALID_ARGUMENT', `dialectOf: not a SQLite or PostgreSQL database (adapter ${adapter.constructor.name})`)
}
