import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

/**
 * A clone of the repository alone must build, test and benchmark: no file the
 * project tracks may reach a path outside the checkout through a relative
 * import, a `new URL(…, import.meta.url)` or a path joined from its own folder.
 */

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const CODE = /\.(ts|mts|js|mjs|cjs|json|sh)$|^\.ci\/run$/

/** Every file of the checkout (tracked or new, not ignored) that holds code or configuration. */
function trackedCode(): string[] {
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: ROOT,
    encoding: 'utf8',
  }).split('\0')
  // This file names such paths on purpose, to show the check can fail.
  return files.filter((f) => f !== '' && CODE.test(f) && f !== 'test/self-contained.test.ts')
}

/** Relative paths a file resolves against its own folder. */
const RELATIVE_REFERENCES = [
  /\bfrom\s+['"](\.{1,2}\/[^'"]*)['"]/g,
  /\bimport\(\s*['"](\.{1,2}\/[^'"]*)['"]\s*\)/g,
  /new URL\(\s*['"](\.{1,2}(?:\/[^'"]*)?)['"]\s*,\s*import\.meta\.url\s*\)/g,
  /\b(?:path\.)?(?:join|resolve)\(\s*(?:__dirname|here|dirname\(fileURLToPath\(import\.meta\.url\)\))\s*,\s*['"](\.{1,2}(?:\/[^'"]*)?)['"]/g,
]

/** References that leave the checkout, as "file: reference". */
function escapes(file: string, text: string): string[] {
  const found: string[] = []
  const dir = path.dirname(path.join(ROOT, file))
  for (const pattern of RELATIVE_REFERENCES) {
    for (const match of text.matchAll(pattern)) {
      const target = path.resolve(dir, match[1]!)
      if (path.relative(ROOT, target).startsWith('..')) found.push(`${file}: ${match[1]}`)
    }
  }
  // A sibling folder named outright, however the path is built.
  if (/(?:^|[^\w.])\.\.\/shared\b|['"`]shared\/fixtures/.test(text)) found.push(`${file}: names ../shared`)
  return found
}

describe('the checkout is self-contained', () => {
  it('has no tracked file that reads, imports or names a path outside the repository', () => {
    const files = trackedCode()
    expect(files.length).toBeGreaterThan(100)
    const found = files.flatMap((file) => escapes(file, readFileSync(path.join(ROOT, file), 'utf8')))
    expect(found, 'paths outside the checkout').toEqual([])
  })

  it('recognises a reference that leaves the checkout (the check itself can fail)', () => {
    expect(escapes('test/auth/x.test.ts', "new URL('../../../shared/fixtures/legacy-tokens.json', import.meta.url)")).toHaveLength(2)
    expect(escapes('test/x.test.ts', "import { a } from '../../elsewhere/a.js'")).toEqual(['test/x.test.ts: ../../elsewhere/a.js'])
    expect(escapes('test/helpers/x.ts', "new URL('../fixtures/legacy-tokens.json', import.meta.url)")).toEqual([])
  })
})
