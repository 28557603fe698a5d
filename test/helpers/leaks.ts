import path from 'node:path'
import { fileURLToPath } from 'node:url'

/** The repository's root folder (where src/, dist/ and node_modules/ live). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')

/** Text that only an internal detail (a file path, a stack frame) would put in an answer. */
const MARKERS: ReadonlyArray<[string, RegExp]> = [
  ['/work', /\/work\b/],
  ['/tmp', /\/tmp\b/],
  ['node_modules', /node_modules/],
  ['.ts:', /\.ts:/],
  ['.js:', /\.js:/],
  ['an indented "at" stack frame', /(^|\n|\\n)\s{2,}at\s/],
  ['an "at fn (file:line:col)" frame', /\bat\s+\S.*:\d+:\d+/],
  ['file://', /file:\/\//],
  ['node:internal', /node:internal/],
]

/**
 * What in `text` looks like a path, a stack or a source location; empty when
 * nothing does. `paths` adds folders that must not show either (a project's root).
 */
export function internalsIn(text: string, paths: readonly string[] = []): string[] {
  const found = MARKERS.filter(([, pattern]) => pattern.test(text)).map(([name]) => name)
  for (const dir of [REPO_ROOT, ...paths]) if (text.includes(dir)) found.push(dir)
  return found
}
