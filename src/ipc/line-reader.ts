/**
 * Splits a byte stream into newline-delimited lines, refusing any line longer
 * than `maxBytes` so a peer cannot make us buffer without bound.
 */
export class LineReader {
  #chunks: Buffer[] = []
  #buffered = 0

  constructor(
    private readonly maxBytes: number,
    private readonly onLine: (line: string) => void,
    private readonly onOverflow: () => void,
  ) {}

  push(chunk: Buffer): void {
    let start = 0
    let newline = chunk.indexOf(0x0a, start)
    while (newline !== -1) {
      const piece = chunk.subarray(start, newline)
      if (this.#buffered + piece.length > this.maxBytes) {
        this.#overflow()
        return
      }
      const line = this.#buffered === 0 ? piece : Buffer.concat([...this.#chunks, piece])
      this.#chunks = []
      this.#buffered = 0
      const text = line.toString('utf8').replace(/\r$/, '')
      if (text.length > 0) this.onLine(text)
      start = newline + 1
      newline = chunk.indexOf(0x0a, start)
    }
    const rest = chunk.subarray(start)
    if (rest.length === 0) return
    if (this.#buffered + rest.length > this.maxBytes) {
      this.#overflow()
      return
    }
    this.#chunks.push(rest)
    this.#buffered += rest.length
  }

  #overflow(): void {
    this.#chunks = []
    this.#buffered = 0
    this.onOverflow()
  }
}
