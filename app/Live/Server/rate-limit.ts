import type { KeyValueStore } from 'mswoole'
import { rateKey } from './names.js'
import { LIVE_SETTINGS } from './settings.js'

/**
 * Counts a user's message and says whether it is within the limit. A sliding
 * window: this window's count plus the previous one's, weighted by how much of
 * the previous window still lies within the last `sayRateWindowSeconds`. A
 * burst that straddles a window boundary is caught like one inside a window.
 * Refused messages count too, so a client that keeps trying stays refused.
 */
export async function allowSay(store: KeyValueStore, code: string, userId: string, now = Date.now()): Promise<boolean> {
  const windowMs = LIVE_SETTINGS.sayRateWindowSeconds * 1000
  const window = Math.floor(now / windowMs)
  const key = rateKey(code, userId, window)
  const [current, previous] = await Promise.all([store.incr(key), store.get(rateKey(code, userId, window - 1))])
  // Kept through the next window, which still weighs it.
  if (current === 1) await store.expire(key, 2 * LIVE_SETTINGS.sayRateWindowSeconds)
  const overlap = 1 - (now % windowMs) / windowMs
  return current + Number(previous ?? 0) * overlap <= LIVE_SETTINGS.sayRateLimit
}
