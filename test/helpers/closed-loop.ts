import type { Envelope, TestClient } from './client.js'

/** A client sending one message, awaiting its reply, and sending again, until stopped or cut. */
export interface ClosedLoop {
  readonly sent: number
  readonly answered: number
  /** Set when the connection dropped while the loop ran. */
  readonly error: Error | undefined
  /** Asks the loop to end after the reply it awaits; resolves once it has. */
  stop(): Promise<void>
  /** Settles when the loop has ended, for whatever reason. */
  readonly done: Promise<void>
}

/** The most messages one loop sends, so a loop that is never stopped still ends. */
const MAX_ROUNDS = 200_000

export function closedLoop(client: TestClient, message: Record<string, unknown>, event: string): ClosedLoop {
  let sent = 0
  let answered = 0
  let error: Error | undefined
  let stopping = false
  const done = (async () => {
    try {
      for (let round = 0; round < MAX_ROUNDS && !stopping; round++) {
        sent++
        client.send(message)
        // Each routed message is acknowledged (`receiveMessage`) before the action's reply.
        let frame = await client.nextFrame()
        let reply = JSON.parse(frame) as Envelope
        if (reply.event === 'receiveMessage') {
          frame = await client.nextFrame()
          reply = JSON.parse(frame) as Envelope
        }
        if (reply.status !== 200 || reply.event !== event) throw new Error(`unexpected reply ${frame}`)
        answered++
      }
    } catch (err) {
      error = err as Error
    }
  })()
  return {
    get sent() {
      return sent
    },
    get answered() {
      return answered
    },
    get error() {
      return error
    },
    stop() {
      stopping = true
      return done
    },
    done,
  }
}
