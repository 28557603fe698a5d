/**
 * What the mswoole package exports: the controller types, the database
 * helpers migrations and controllers use (Kysely's `sql` and type, so an
 * application depends on mswoole alone), the HTML escaping client strings get,
 * and the token codec for Node backends.
 */
export type {
  App,
  AppLogger,
  CloseEvent,
  ControllerHooks,
  KeyValueStore,
  Message,
  RoomPresence,
  SendOptions,
  Target,
  UidPresence,
} from './app-api/types.js'
export type { AuthPayload } from './auth/payload.js'
export { decodeToken, encodeToken, type AuthCodecName } from './auth/codec.js'
export { ERRORS, MswError, type ErrorCode } from './errors.js'
export { escapeHtml } from './protocol/escape-html.js'
export { dialectOf, type DbDialect } from './db/dialect.js'
export type { Migration } from './db/migration.js'
export { sql, type Generated, type Insertable, type Kysely, type Selectable, type Updateable } from 'kysely'
