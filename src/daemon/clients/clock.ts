/**
 * The daemon's clock for what each connection keeps (connected, last active, its
 * rate window): milliseconds since this module loaded. Epoch milliseconds are past
 * what V8 holds as a small integer, so each such field would take a heap number of
 * its own (16 bytes a field, a connection); these stay small integers inside the
 * object for 24 days of uptime, and are plain numbers, as correct, after that.
 */
const ORIGIN = Date.now()
/** The first value that is no longer a small integer. */
const SMALL = 2 ** 31

export function clockNow(): number {
  const t = Date.now() - ORIGIN
  // `| 0` makes V8 keep the result as a small integer; the subtraction alone gives a heap number.
  return t < SMALL ? t | 0 : t
}

/** Epoch milliseconds of a clockNow() reading. */
export function epochMs(t: number): number {
  return ORIGIN + t
}
