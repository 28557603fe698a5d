import { systemCode } from '../errors.js'
import { readTail } from './read-tail.js'

/**
 * The last `count` lines of a rotated log that pass `keep`, oldest first: the
 * current file, then file.1, file.2, … while it holds fewer, so the tail right
 * after a rotation still shows what came before it. `end` bounds the read of
 * the current file (what it held at a given moment). Fails with ENOENT when
 * there is no current file.
 */
export async function readLogTail(
  file: string,
  count: number,
  keep: (line: string) => boolean = () => true,
  end?: number,
): Promise<string[]> {
  const lines = await readTail(file, count, keep, end)
  for (let n = 1; lines.length < count; n++) {
    let older: string[]
    try {
      older = await readTail(`${file}.${n}`, count - lines.length, keep)
    } catch (err) {
      if (systemCode(err) === 'ENOENT') break
      throw err
    }
    lines.unshift(...older)
  }
  return lines
}
