/** Hands every log line written to the current followers (`mswoole logs -f`). */
export class LogTap {
  readonly #followers = new Set<(line: string) => void>()

  follow(listener: (line: string) => void): () => void {
    this.#followers.add(listener)
    return () => this.#followers.delete(listener)
  }

  push(line: string): void {
    for (const listener of this.#followers) listener(line)
  }
}
