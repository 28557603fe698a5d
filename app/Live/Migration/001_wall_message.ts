import { dialectOf, type Kysely } from 'mswoole'

/** The Live module's messages: what walls said and the user messages they approved. */
export async function up(db: Kysely<unknown>): Promise<void> {
  const postgres = dialectOf(db) === 'postgres'
  await db.schema
    .createTable('live_wall_message')
    .addColumn('id', 'integer', (col) => (postgres ? col.generatedAlwaysAsIdentity().primaryKey() : col.primaryKey().autoIncrement()))
    .addColumn('code', 'text', (col) => col.notNull())
    .addColumn('kind', 'text', (col) => col.notNull())
    .addColumn('user_id', 'text', (col) => col.notNull())
    .addColumn('nickname', 'text', (col) => col.notNull())
    .addColumn('say', 'text', (col) => col.notNull())
    .addColumn('status', 'integer', (col) => col.notNull().defaultTo(1))
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .addColumn('recalled_at', 'bigint')
    .execute()
  // History reads one event's shown messages by id, newest first.
  await db.schema.createIndex('live_wall_message_code_status_id').on('live_wall_message').columns(['code', 'status', 'id']).execute()
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('live_wall_message').execute()
}
