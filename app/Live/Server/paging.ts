import type { Message } from 'mswoole'
import { LIVE_SETTINGS } from './settings.js'

export interface Paging {
  page: number
  count: number
}

/**
 * `page` and `count` of a history request: whole numbers from 1, as numbers
 * or digit strings; count defaults to 10 and is clamped to 20. Undefined
 * when either is malformed.
 */
export function readPaging(data: Message): Paging | undefined {
  const page = wholeNumber(data.page, 1)
  const count = wholeNumber(data.count, LIVE_SETTINGS.historyDefaultCount)
  if (page === undefined || count === undefined || page > LIVE_SETTINGS.historyMaxPage) return undefined
  return { page, count: Math.min(count, LIVE_SETTINGS.historyMaxCount) }
}

function wholeNumber(value: unknown, fallback: number): number | undefined {
  if (value === undefined || value === null) return fallback
  const n = typeof value === 'string' && /^\d{1,15}$/.test(value) ? Number(value) : value
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 1 ? n : undefined
}
