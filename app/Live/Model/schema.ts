import type { Generated } from 'kysely'

/** The Live module's tables, as Kysely sees them (Migration/ creates them). */

export interface WallMessageTable {
  id: Generated<number>
  /** The event. */
  code: string
  /** 'wall' for what a wall said; 'user' rows (approved user messages) were written by earlier versions only. */
  kind: 'wall' | 'user'
  user_id: string
  /** HTML-escaped once, as the screen shows it. */
  nickname: string
  say: string
  /** 1 shown, 0 recalled (the row stays). */
  status: number
  /** ms since the epoch. */
  created_at: number
  recalled_at: number | null
}

export interface LiveDB {
  live_wall_message: WallMessageTable
}
