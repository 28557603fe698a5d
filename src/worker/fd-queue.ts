/**
 * Runs the tasks of one fd one after another, in the order they were queued,
 * while tasks of different fds interleave freely. A client that sends "join"
 * then "say" must see them handled in that order even when "join" awaits the
 * master.
 */
export class FdQueue {
  readonly #tails = new Map<number, Promise<void>>()

  /** Queues `task` behind the fd's earlier tasks; the returned promise settles as `task` does. */
  run(fd: number, task: () => Promise<void>): Promise<void> {
    const previous = this.#tails.get(fd) ?? Promise.resolve()
    const result = previous.then(task)
    // The chain must go on whatever one task did; the caller sees `result`, failures included.
    const tail = result.then(noop, noop)
    this.#tails.set(fd, tail)
    void tail.then(() => {
      if (this.#tails.get(fd) === tail) this.#tails.delete(fd)
    })
    return result
  }

  /** fds with work queued or running. */
  get size(): number {
    return this.#tails.size
  }
}

function noop(): void {}
