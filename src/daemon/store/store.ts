import type { KeyValueStore } from '../../app-api/types.js'
import { ERRORS, MswError } from '../../errors.js'

/**
 * The store the master holds: the controllers' KeyValueStore plus lifecycle.
 *
 * Every implementation follows Redis's semantics wherever Redis defines them,
 * so code that works on the embedded memory store works unchanged on Redis:
 * - values are strings; `set` replaces a key of any type and clears its TTL;
 * - a hash, set or list that becomes empty no longer exists;
 * - a command on a key of another type fails with MSW_ERR_STORE_WRONGTYPE;
 * - `incr` on a value that is not a 64-bit integer fails with MSW_ERR_STORE_NOT_INTEGER;
 * - TTLs apply to keys of every type; `ttl` answers -2 (missing), -1 (no expiry)
 *   or the remaining whole seconds, rounded as Redis rounds them;
 * - `expire` with 0 or less deletes the key (and answers true if it existed);
 * - `lrange`/`ltrim` take Redis's inclusive start/stop, negative from the end.
 * Where Redis has no answer, the contract is:
 * - variadic commands called with nothing to do (`del()`, `sadd(k)`, `hdel(k)`,
 *   `srem(k)`) answer 0 and `lpush(k)`/`rpush(k)` answer the list's length,
 *   instead of Redis's "wrong number of arguments";
 * - a TTL, increment or index that Redis would refuse (not an integer; a `set`
 *   TTL of 0 or less) fails with MSW_ERR_INVALID_ARGUMENT.
 * Keys are namespaced by the prefix given at construction; callers never see it.
 */
export interface Store extends KeyValueStore {
  readonly kind: StoreKind
  /** Resolves when the store answers; fails with MSW_ERR_STORE_UNAVAILABLE when it does not. */
  ping(): Promise<void>
  /** Releases timers and connections; the store is not used afterwards. */
  close(): Promise<void>
}

export type StoreKind = 'memory' | 'redis'

/** cache.json's default `prefix`. */
export const DEFAULT_STORE_PREFIX = 'mswoole:'

export function wrongTypeError(key: string): MswError {
  return new MswError('MSW_ERR_STORE_WRONGTYPE', ERRORS.MSW_ERR_STORE_WRONGTYPE, { details: { key } })
}

export function notIntegerError(key: string): MswError {
  return new MswError('MSW_ERR_STORE_NOT_INTEGER', ERRORS.MSW_ERR_STORE_NOT_INTEGER, { details: { key } })
}

/** `set`'s ttl: absent, or a positive whole number of seconds (Redis refuses `EX 0`). */
export function checkSetTtl(ttl: number | undefined): void {
  if (ttl !== undefined && !(Number.isSafeInteger(ttl) && ttl > 0)) {
    throw invalid(`ttl must be a positive whole number of seconds, got ${String(ttl)}`)
  }
}

/** `expire`'s seconds: any whole number; 0 or less deletes the key. */
export function checkExpireSeconds(seconds: number): void {
  if (!Number.isSafeInteger(seconds)) throw invalid(`ttl must be a whole number of seconds, got ${String(seconds)}`)
}

export function checkIncrement(by: number): void {
  if (!Number.isSafeInteger(by)) throw invalid(`increment must be a whole number, got ${String(by)}`)
}

export function checkIndex(name: string, index: number): void {
  if (!Number.isInteger(index)) throw invalid(`${name} must be a whole number, got ${String(index)}`)
}

function invalid(message: string): MswError {
  return new MswError('MSW_ERR_INVALID_ARGUMENT', message)
}
