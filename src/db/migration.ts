import type { Kysely } from 'kysely'

/**
 * A migration module, `<app>/<Module>/Migration/<name>.ts`: it exports `up`,
 * and may export `down`. `db` is the database, inside the transaction the
 * whole batch runs in; `dialectOf(db)` says which one it is.
 */
export interface Migration {
  up(db: Kysely<unknown>): Promise<void>
  down?(db: Kysely<unknown>): Promise<void>
}
