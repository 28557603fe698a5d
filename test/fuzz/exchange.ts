import { randomUUID } from 'node:crypto'
import { expect } from 'vitest'
import { TestClient } from '../helpers/client.js'
import { within } from '../helpers/poll.js'
import { HANG_MS, parseEnvelope, type FuzzDaemon } from './harness.js'
import { checkObserved, type Expectation, type Observed } from './outside-model.js'

/** A message split into frames: one `fin` frame, or several continuation frames. */
export interface Framed {
  bytes: Uint8Array
  binary: boolean
  /** How many frames the message goes out in (1 = unfragmented). */
  fragments: number
}

/** Cuts `bytes` into `count` frames (at least one byte each where there are bytes). */
export function split(bytes: Uint8Array, count: number): Uint8Array[] {
  const n = Math.max(1, Math.min(count, bytes.length))
  const size = Math.ceil(bytes.length / n)
  const parts: Uint8Array[] = []
  for (let at = 0; at < bytes.length || parts.length === 0; at += size) parts.push(bytes.subarray(at, at + size))
  return parts
}

/** Writes a message the way the `ws` client frames it, fragmented when asked. */
export function sendFramed(client: TestClient, message: Framed): void {
  const parts = split(message.bytes, message.fragments)
  for (const [i, part] of parts.entries()) client.ws.send(Buffer.from(part), { binary: message.binary, fin: i === parts.length - 1 })
}

/**
 * Sends one fuzz input on a fresh connection and reports what came back. When
 * the connection should stay open, a sentinel echo follows the input: the
 * server answers one connection's messages in order, so every answer to the
 * input has arrived once the sentinel's has.
 */
export async function exchange(daemon: FuzzDaemon, send: (client: TestClient) => void, expectation: Expectation): Promise<Observed> {
  const client = await within(TestClient.connect(daemon.url), HANG_MS, 'fuzz connection')
  try {
    send(client)
    if (expectation.kind === 'closed') {
      const close = await within(client.closed(), HANG_MS, 'the close the input should cause')
      return { frames: [...client.frames], close }
    }
    const nonce = randomUUID()
    client.send({ method: 'index.index.echo', nonce })
    const frames: string[] = []
    for (;;) {
      let frame: string
      try {
        frame = await within(client.nextFrame(), HANG_MS, 'answer to the input')
      } catch (err) {
        // Closed instead of answering: report it with what came first.
        if (client.ws.readyState !== client.ws.OPEN) return { frames, close: await client.closed() }
        throw err
      }
      if ((parseEnvelope(frame)?.param as { nonce?: unknown } | undefined)?.nonce === nonce) break
      frames.push(frame)
    }
    // The sentinel was acknowledged too; drop one ack (they are all alike).
    const ack = frames.findLastIndex((f) => parseEnvelope(f)?.event === 'receiveMessage')
    expect(ack, 'the sentinel was acknowledged').toBeGreaterThanOrEqual(0)
    frames.splice(ack, 1)
    return { frames }
  } finally {
    client.ws.terminate()
  }
}

/** Sends, observes, and checks against the model. */
export async function fuzzOnce(
  daemon: FuzzDaemon,
  send: (client: TestClient) => void,
  expectation: Expectation,
  input: string,
): Promise<void> {
  const observed = await exchange(daemon, send, expectation)
  checkObserved(expectation, observed, input, [daemon.project.root])
}
