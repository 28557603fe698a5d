/** The Live module's limits, in one place. */
export const LIVE_SETTINGS = {
  /** Longest message, in characters of the text as typed (entities decoded). */
  maxSayLength: 500,
  /** live.user.say: at most this many messages per user… */
  sayRateLimit: 5,
  /** …in any window of this many seconds. */
  sayRateWindowSeconds: 10,
  /** Messages waiting for a wall, per event: past this, users are asked to try again later. LIVE_MAX_PENDING sets it. */
  maxPending: positiveInt(process.env.LIVE_MAX_PENDING, 1000),
  /** History: messages per page when the client names no count, and the most it may ask for. */
  historyDefaultCount: 10,
  historyMaxCount: 20,
  /** Pages past this are read as this one rather than turned into an offset no table reaches. */
  historyMaxPage: 100_000,
} as const

function positiveInt(text: string | undefined, fallback: number): number {
  const value = Number(text)
  return Number.isSafeInteger(value) && value > 0 ? value : fallback
}
