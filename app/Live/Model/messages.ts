import type { Kysely, Selectable } from 'kysely'
import type { Paging } from '../Server/paging.js'
import type { LiveDB, WallMessageTable } from './schema.js'

/** A message as it is stored, and as clients receive it wherever a stored message is sent. */
export interface StoredMessage {
  id: number
  code: string
  kind: 'wall' | 'user'
  userId: string
  nickname: string
  say: string
  status: 1 | 0
  createdAt: number
}

export type NewMessage = Omit<StoredMessage, 'id' | 'status'>

export async function saveMessage(db: Kysely<LiveDB>, message: NewMessage): Promise<StoredMessage> {
  const row = await db
    .insertInto('live_wall_message')
    .values({
      code: message.code,
      kind: message.kind,
      user_id: message.userId,
      nickname: message.nickname,
      say: message.say,
      status: 1,
      created_at: message.createdAt,
      recalled_at: null,
    })
    .returningAll()
    .executeTakeFirstOrThrow()
  return toStored(row)
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

/** One page of the event's shown messages, newest first. */
export async function historyPage(db: Kysely<LiveDB>, code: string, { page, count }: Paging): Promise<StoredMessage[]> {
  const rows = await db
    .selectFrom('live_wall_message')
    .selectAll()
    .where('code', '=', code)
    .where('status', '=', 1)
    .orderBy('id', 'desc')
    .limit(count)
    .offset((page - 1) * count)
    .execute()
  return rows.map(toStored)
}

function toStored(row: Selectable<WallMessageTable>): StoredMessage {
  return {
    // Number(): drivers may hand integers over as strings or bigints.
    id: Number(row.id),
    code: row.code,
    kind: row.kind,
    userId: row.user_id,
    nickname: row.nickname,
    say: row.say,
    status: Number(row.status) === 1 ? 1 : 0,
    createdAt: Number(row.created_at),
  }
}
