import { open } from 'node:fs/promises'

const CHUNK = 64 * 1024

/**
 * The last `count` lines of a file that pass `keep`, oldest first, reading
 * backwards in chunks so a large log costs only what is shown.
 * `end` limits the read to the first `end` bytes (what was there at a given moment).
 */
export async function readTail(file: string, count: number, keep: (line: string) => boolean = () => true, end?: number): Promise<string[]> {
  if (count <= 0) return []
  const handle = await open(file, 'r')
  try {
    let position = end ?? (await handle.stat()).size
    const found: string[] = []
    let carry = Buffer.alloc(0)
    while (position > 0 && found.length < count) {
      const size = Math.min(CHUNK, position)
      position -= size
      const chunk = Buffer.alloc(size)
      await handle.read(chunk, 0, size, position)
      let buffer = Buffer.concat([chunk, carry])
      let newline = buffer.lastIndexOf(0x0a)
      while (newline !== -1 && found.length < count) {
        const line = buffer.subarray(newline + 1).toString('utf8')
        if (line.length > 0 && keep(line)) found.push(line)
        buffer = buffer.subarray(0, newline)
        newline = buffer.lastIndexOf(0x0a)
      }
      carry = buffer
    }
    if (position === 0 && found.length < count && carry.length > 0) {
      const line = carry.toString('utf8')
      if (keep(line)) found.push(line)
    }
    return found.reverse()
  } finally {
    await handle.close()
  }
}
