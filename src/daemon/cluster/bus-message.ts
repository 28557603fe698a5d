/**
 * What nodes tell each other over pub/sub. `from` is the sending node, which
 * has already delivered to its own connections; `except` holds connection ids.
 */
export type BusMessage =
  | { t: 'room'; from: string; room: string; msg: string; except?: string[] }
  | { t: 'all'; from: string; msg: string; except?: string[] }
  /**
   * A room send with history on: published by the script that gave it its
   * offset (RedisHistory), so every node, the sender too, hears a room's
   * messages in offset order; `n` lets the sender match its own.
   */
  | { t: 'hist'; from: string; room: string; msg: string; except?: string[]; n?: number; e: string; o: number }
  | { t: 'uid'; from: string; uid: string; msg: string }
  | { t: 'fd'; from: string; fd: number; msg: string }
  | { t: 'kick'; from: string; fd: number; code: number; reason: string }

/** A message from another node, or undefined when the text is not one (a foreign publisher on our channel). */
export function parseBusMessage(text: string): BusMessage | undefined {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return undefined
  }
  if (typeof value !== 'object' || value === null) return undefined
  const m = value as Record<string, unknown>
  if (typeof m.from !== 'string') return undefined
  const except = m.except === undefined || (Array.isArray(m.except) && m.except.every((id) => typeof id === 'string'))
  switch (m.t) {
    case 'room':
      return typeof m.room === 'string' && typeof m.msg === 'string' && except ? (m as BusMessage) : undefined
    case 'all':
      return typeof m.msg === 'string' && except ? (m as BusMessage) : undefined
    case 'hist':
      return typeof m.room === 'string' && typeof m.msg === 'string' && except && typeof m.e === 'string' && Number.isSafeInteger(m.o)
        ? (m as BusMessage)
        : undefined
    case 'uid':
      return typeof m.uid === 'string' && typeof m.msg === 'string' ? (m as BusMessage) : undefined
    case 'fd':
      return Number.isSafeInteger(m.fd) && typeof m.msg === 'string' ? (m as BusMessage) : undefined
    case 'kick':
      return Number.isSafeInteger(m.fd) && Number.isInteger(m.code) && typeof m.reason === 'string' ? (m as BusMessage) : undefined
    default:
      return undefined
  }
}
