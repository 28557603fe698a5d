import type { IncomingMessage } from 'node:http'
import { MswError } from '../../errors.js'
import { isRecord } from '../../ipc/jsonrpc.js'
import { isJsonType, mediaType } from './content-type.js'
import { coerceFormParams, parseForm } from './form.js'

/** The largest request body the manager reads. */
export const MAX_BODY_BYTES = 1024 * 1024
/** After a 413, this much more of the refused body is read and dropped so the client can read the answer; past it the connection is cut. */
const MAX_DISCARD_BYTES = 4 * MAX_BODY_BYTES

/**
 * Reads a request body of at most `limit` bytes. A declared Content-Length over
 * the limit fails before anything is read; otherwise reading stops as soon as the
 * limit is passed. Either way the rest is drained (up to a bound) so the 413 can
 * be read by a client still sending. Fails with MSW_ERR_BAD_REQUEST when the client
 * goes away mid-body (nobody is left to answer).
 */
export function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  const declared = Number(req.headers['content-length'])
  if (Number.isFinite(declared) && declared > limit) {
    discardRest(req)
    return Promise.reject(bodyTooLarge(limit))
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const onData = (chunk: Buffer): void => {
      size += chunk.length
      if (size <= limit) return void chunks.push(chunk)
      stop()
      discardRest(req)
      reject(bodyTooLarge(limit))
    }
    const onEnd = (): void => {
      stop()
      resolve(Buffer.concat(chunks, size))
    }
    const onGone = (): void => {
      stop()
      reject(new MswError('MSW_ERR_BAD_REQUEST', 'the client closed the request before its body ended'))
    }
    const stop = (): void => {
      req.off('data', onData).off('end', onEnd).off('error', onGone).off('close', onGone)
    }
    req.on('data', onData).on('end', onEnd).on('error', onGone).on('close', onGone)
  })
}

export function bodyTooLarge(limit = MAX_BODY_BYTES): MswError {
  return new MswError('MSW_ERR_BODY_TOO_LARGE', `request body exceeds ${limit} bytes`)
}

const draining = new WeakSet<IncomingMessage>()

/**
 * Reads and drops what is left of a body the manager answered without reading
 * (413, 401, 415…), so a client still sending can read the answer; a client that
 * sends more than MAX_DISCARD_BYTES is cut.
 */
export function discardRest(req: IncomingMessage): void {
  if (req.complete || draining.has(req)) return
  draining.add(req)
  let dropped = 0
  req.on('error', () => undefined)
  req.on('data', (chunk: Buffer) => {
    dropped += chunk.length
    if (dropped > MAX_DISCARD_BYTES) req.socket.destroy()
  })
}

/**
 * Settles once the rest of the body has been read and dropped, or the client is
 * gone. An answer sent before then would be followed by closing a socket with
 * unread bytes in it: the kernel resets it, and the client, still writing, may
 * lose the answer to that reset.
 */
export function drained(req: IncomingMessage): Promise<void> {
  if (req.complete || req.destroyed) return Promise.resolve()
  discardRest(req)
  return new Promise((resolve) => {
    const done = (): void => {
      req.off('end', done).off('close', done)
      resolve()
    }
    req.on('end', done).on('close', done)
  })
}

/**
 * The params a REST call carries in its body: a JSON object, or a form
 * (`application/x-www-form-urlencoded`, PHP's `http_build_query`) with its
 * fields coerced to the method table's types. An empty body is `{}`. The
 * router has already refused other types (and forms where they are not taken).
 */
export async function readBodyParams(req: IncomingMessage): Promise<Record<string, unknown>> {
  const type = mediaType(req)
  const form = type === 'application/x-www-form-urlencoded'
  if (!form && !isJsonType(type)) {
    throw new MswError(
      'MSW_ERR_UNSUPPORTED_MEDIA_TYPE',
      `unsupported content type "${type}": send application/json or application/x-www-form-urlencoded`,
    )
  }
  const text = (await readBody(req)).toString('utf8')
  if (form) return coerceFormParams(parseForm(text))
  if (text.trim() === '') return {}
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (err) {
    throw new MswError('MSW_ERR_BAD_REQUEST', `body is not valid JSON: ${(err as Error).message}`)
  }
  if (!isRecord(value)) throw new MswError('MSW_ERR_BAD_REQUEST', 'body must be a JSON object')
  return value
}
