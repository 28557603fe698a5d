/**
 * Collects messages and hands them over as one array: a postMessage per batch
 * instead of one per message, which is what the thread hop costs. A batch
 * closes when `schedule` runs its callback: by default when the microtask
 * queue runs, which ends one piece of synchronous work. The master passes
 * setImmediate, so the frames of every socket read in one turn of its event
 * loop (each in its own I/O callback, with microtasks run between them)
 * travel together.
 */
export function batcher<T>(deliver: (batch: T[]) => void, schedule: (flush: () => void) => void = queueMicrotask): (message: T) => void {
  let batch: T[] | undefined
  const flush = (): void => {
    const full = batch as T[]
    batch = undefined
    deliver(full)
  }
  return (message) => {
    if (batch) return void batch.push(message)
    batch = [message]
    schedule(flush)
  }
}

/** Both sides accept a single message too. */
export function unbatch<T>(received: T | T[]): T[] {
  return Array.isArray(received) ? received : [received]
}
