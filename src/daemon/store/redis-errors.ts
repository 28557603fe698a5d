import { MswError } from '../../errors.js'
import { notIntegerError, wrongTypeError } from './store.js'

/** Redis's error replies that have an mswoole code of their own; all other failures mean the store is unavailable. */
const NOT_INTEGER_REPLIES = ['value is not an integer or out of range', 'increment or decrement would overflow']

/**
 * What a failed Redis command becomes: WRONGTYPE and the integer errors keep
 * their meaning (naming the caller's key, not the prefixed one); anything else
 * (connection down, command timeout, a server refusing writes) is
 * MSW_ERR_STORE_UNAVAILABLE with the original as `cause`.
 */
export function storeError(err: unknown, key: string | undefined, url: string): MswError {
  if (err instanceof MswError) return err
  if (isReplyError(err) && key !== undefined) {
    if (err.message.startsWith('WRONGTYPE')) return wrongTypeError(key)
    if (NOT_INTEGER_REPLIES.some((reply) => err.message.includes(reply))) return notIntegerError(key)
  }
  return unavailableError(url, err)
}

export function unavailableError(url: string, cause: unknown): MswError {
  const reason = cause instanceof Error ? cause.message : String(cause)
  return new MswError('MSW_ERR_STORE_UNAVAILABLE', `Redis at ${url} is unavailable: ${reason}`, { cause, details: { url } })
}

/** An error reply from the server (ioredis's ReplyError), as opposed to a client-side failure. */
function isReplyError(err: unknown): err is Error {
  return err instanceof Error && err.name === 'ReplyError'
}

/** `url` without its password, fit for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password === '') return url
    parsed.password = ''
    return parsed.toString()
  } catch {
    // Not a WHATWG URL (ioredis is laxer): drop whatever sits between "user:" and "@".
    return url.replace(/^([^/]*\/\/[^:@/]*):[^@/]*@/, '$1@')
  }
}
