import type { Message } from 'mswoole'
import { LIVE_SETTINGS } from './settings.js'

export interface Paging {
  page: number
  count: number
}

/**
 * `page` and `count` of a history request, as the seed read them: page
 * defaults to 1, count to 10 and is clamped to 20. A value that is not a
 * whole number from 1 (as a number or digits) falls back to the default, as
 * the seed's query builder turned it into page 1; a page past
 * `historyMaxPage` is clamped so no query asks for an offset no table reaches.
 */
export function readPaging(data: Message): Paging {
  const page = Math.min(wholeNumber(data.page) ?? 1, LIVE_SETTINGS.historyMaxPage)
  const count = Math.min(wholeNumber(data.count) ?? LIVE_SETTINGS.historyDefaultCount, LIVE_SETTINGS.historyMaxCount)
  return { page, count }
}

function wholeNumber(value: unknown): number | undefined {
  const n = typeof value === 'string' && /^\d{1,15}$/.test(value) ? Number(value) : value
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 1 ? n : undefined
}
