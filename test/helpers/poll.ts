import { setTimeout as delay } from 'node:timers/promises'

/** How long a poll waits by default for state that has no event of its own. */
export const POLL_DEADLINE_MS = 20_000
const POLL_INTERVAL_MS = 100

/**
 * Reads `read()` until `until` holds or the deadline passes, and answers the
 * last value read: the caller asserts on it, so a miss fails with what was seen.
 * For state that changes without an event (Redis keys, another node's view).
 */
export async function poll<T>(read: () => Promise<T>, until: (value: T) => boolean, deadlineMs = POLL_DEADLINE_MS): Promise<T> {
  const deadline = Date.now() + deadlineMs
  for (;;) {
    const value = await read()
    if (until(value) || Date.now() >= deadline) return value
    await delay(POLL_INTERVAL_MS)
  }
}

/** `promise`, or a rejection naming `what` once `ms` have passed without it settling. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms)
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}
