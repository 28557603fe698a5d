import type { Kysely, Selectable } from 'kysely'
import type { Paging } from '../Server/paging.js'
import type { LiveDB, WallMessageTable } from './schema.js'

/** What a wall said, as it is stored. */
export interface NewMessage {
  code: string
  userId: string
  nickname: string
  say: string
  createdAt: number
}

/**
 * A row as the seed's model read it (its table live_wall_message: the
 * fields it wrote, status, and the create_time/update_time its
 * autoWriteTimestamp kept, in Unix seconds).
 */
export interface HistoryRow {
  id: number
  code: string
  nickname: string
  say: string
  user_id: number | string
  status: number
  create_time: number
  update_time: number
}

/** The seed's Model::pageList: one page of rows and how many rows match in all. */
export interface HistoryPage {
  list: HistoryRow[]
  count: number
}

/** Stores what a wall said; answers its id. */
export async function saveMessage(db: Kysely<LiveDB>, message: NewMessage): Promise<number> {
  const row = await db
    .insertInto('live_wall_message')
    .values({
      code: message.code,
      kind: 'wall',
      user_id: message.userId,
      nickname: message.nickname,
      say: message.say,
      status: 1,
      created_at: message.createdAt,
      recalled_at: null,
    })
    .returning('id')
    .executeTakeFirstOrThrow()
  // Number(): drivers may hand integers over as strings or bigints.
  return Number(row.id)
}

/**
 * Withdraws a shown message of this event; the row stays, with status 0.
 * False for an id that is unknown, of another event or already recalled:
 * of two walls recalling one message at once, only one updates the row.
 */
export async function recallMessage(db: Kysely<LiveDB>, code: string, id: number, now = Date.now()): Promise<boolean> {
  const result = await db
    .updateTable('live_wall_message')
    .set({ status: 0, recalled_at: now })
    .where('id', '=', id)
    .where('code', '=', code)
    .where('status', '=', 1)
    .executeTakeFirst()
  return result.numUpdatedRows > 0n
}

/** One page of the event's shown messages, newest first, and how many it has (the seed counted every event's). */
export async function historyPage(db: Kysely<LiveDB>, code: string, { page, count }: Paging): Promise<HistoryPage> {
  const shown = db.selectFrom('live_wall_message').where('code', '=', code).where('status', '=', 1)
  const [rows, total] = await Promise.all([
    shown
      .selectAll()
      .orderBy('id', 'desc')
      .limit(count)
      .offset((page - 1) * count)
      .execute(),
    shown.select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow(),
  ])
  return { list: rows.map(toRow), count: Number(total.n) }
}

function toRow(row: Selectable<WallMessageTable>): HistoryRow {
  const created = Math.floor(Number(row.created_at) / 1000)
  return {
    id: Number(row.id),
    code: row.code,
    nickname: row.nickname,
    say: row.say,
    // The seed's column was numeric for numeric token ids; ours is text, so digits go back to a number.
    user_id: /^\d{1,15}$/.test(row.user_id) ? Number(row.user_id) : row.user_id,
    status: Number(row.status),
    create_time: created,
    update_time: row.recalled_at === null ? created : Math.floor(Number(row.recalled_at) / 1000),
  }
}
