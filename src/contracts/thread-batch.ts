/**
 * Collects the messages posted by one piece of synchronous work (until the
 * microtask queue runs) and hands them over as one array: a postMessage per
 * batch instead of one per message, which is what the thread hop costs.
 */
export function batcher<T>(deliver: (batch: T[]) => void): (message: T) => void {
  let batch: T[] | undefined
  return (message) => {
    if (batch) return void batch.push(message)
    batch = [message]
    queueMicrotask(() => {
      const full = batch as T[]
      batch = undefined
      deliver(full)
    })
  }
}

/** Both sides accept a single message too. */
export function unbatch<T>(received: T | T[]): T[] {
  return Array.isArray(received) ? received : [received]
}
