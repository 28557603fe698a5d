import { cleanCell, padEnd, textWidth, truncate } from './text-width.js'

/** One column of a listing. */
export interface Column<T> {
  /** Printed upper case, like kubectl's and docker's headers. */
  header: string
  cell: (row: T) => string | number
  /**
   * How much the column is worth keeping when the table is wider than the
   * terminal: the lowest goes first. Omitted: never dropped.
   */
  keep?: number
  /** Free text that may be cut short with "…" once dropping columns is not enough. */
  shrink?: boolean
}

/** How wide a table may be: `width` undefined is no limit; `wide` shows every column in full. */
export interface Layout {
  width: number | undefined
  wide: boolean
}

/** Three spaces between columns, as kubectl prints them. */
export const GAP = '   '

/**
 * While choosing what to drop, a free-text column counts as at most this
 * wide: one long nickname should cost its own cells, not the other columns.
 */
const SHRINK_CAP = 20

/** Never cut a column narrower than this (or its header). */
const MIN_SHRUNK = 5

/**
 * A borderless table: a header row, then one row per item, columns padded to
 * their widest cell. Over `layout.width`, the least useful columns are dropped
 * first, then the widest free-text column is cut short.
 */
export function renderColumns<T>(columns: Column<T>[], rows: T[], layout: Layout): string {
  const headers = columns.map((c) => c.header.toUpperCase())
  const cells = rows.map((row) => columns.map((c) => cleanCell(String(c.cell(row)))))
  const widths = headers.map((header, i) => Math.max(textWidth(header), ...cells.map((r) => textWidth(r[i] ?? ''))))
  const shown = layout.wide || layout.width === undefined ? columns.map((_, i) => i) : fitColumns(columns, headers, widths, layout.width)
  const line = (texts: string[]) =>
    shown
      .map((i) => padEnd(truncate(texts[i] ?? '', widths[i] ?? 0), widths[i] ?? 0))
      .join(GAP)
      .trimEnd()
  return [line(headers), ...cells.map(line)].join('\n')
}

/** The columns to show within `limit` cells; narrows `widths` of the columns it cuts short. */
function fitColumns<T>(columns: Column<T>[], headers: string[], widths: number[], limit: number): number[] {
  let shown = columns.map((_, i) => i)
  const total = (width: (i: number) => number) => shown.reduce((sum, i) => sum + width(i), 0) + GAP.length * (shown.length - 1)
  const capped = (i: number) =>
    columns[i]?.shrink ? Math.min(widths[i] ?? 0, Math.max(SHRINK_CAP, textWidth(headers[i] ?? ''))) : (widths[i] ?? 0)
  const droppable = shown.filter((i) => columns[i]?.keep !== undefined).sort((a, b) => (columns[a]?.keep ?? 0) - (columns[b]?.keep ?? 0))
  for (const i of droppable) {
    if (total(capped) <= limit) break
    shown = shown.filter((j) => j !== i)
  }
  const floor = (i: number) => Math.max(MIN_SHRUNK, textWidth(headers[i] ?? ''))
  // One cell at a time from the widest: bounded by the cells the free-text columns hold.
  while (total((i) => widths[i] ?? 0) > limit) {
    const candidates = shown.filter((i) => columns[i]?.shrink && (widths[i] ?? 0) > floor(i))
    if (candidates.length === 0) break
    const widest = candidates.reduce((a, b) => ((widths[b] ?? 0) > (widths[a] ?? 0) ? b : a))
    widths[widest] = (widths[widest] ?? 0) - 1
  }
  return shown
}

/** `key: value` lines with the values aligned, for one object such as `status`. */
export function keyValueLines(rows: Array<[string, string | number]>): string {
  const keyWidth = Math.max(0, ...rows.map(([key]) => textWidth(key) + 1))
  return rows.map(([key, value]) => `${padEnd(`${key}:`, keyWidth)}  ${cleanCell(String(value))}`.trimEnd()).join('\n')
}
