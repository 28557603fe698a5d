import { existsSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { renderErrorsPage } from '../scripts/render-errors-page.js'
import { ERRORS } from '../src/errors.js'

/**
 * The README is the front page and docs/ the reference: every link between
 * them leads to a file and a heading that exist, and the error page is the
 * one generated from the catalogue and names every code it declares.
 */

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const PAGES = [
  'README.md',
  'SECURITY.md',
  'BENCHMARKS.md',
  ...readdirSync(path.join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
]

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as dashes. */
function anchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-')
}

function anchorsOf(file: string): Set<string> {
  const text = readFileSync(path.join(ROOT, file), 'utf8').replace(/```[\s\S]*?```/g, '')
  return new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map((m) => anchor(m[1]!)))
}

/** Local links of a page: [text](target), outside code blocks. */
function linksOf(file: string): string[] {
  const text = readFileSync(path.join(ROOT, file), 'utf8')
    .replace(/```[\s\S]*?```/g, '')
    .replace(/`[^`\n]*`/g, '')
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!).filter((target) => !/^[a-z]+:/.test(target))
}

/** What is wrong with one link from `file`, or undefined. */
function brokenLink(file: string, target: string): string | undefined {
  const [page, hash] = target.split('#') as [string, string | undefined]
  const resolved = page === '' ? file : path.posix.normalize(path.posix.join(path.posix.dirname(file), page))
  if (!existsSync(path.join(ROOT, resolved))) return `${file}: ${target}: no file ${resolved}`
  if (hash !== undefined && resolved.endsWith('.md') && !anchorsOf(resolved).has(hash))
    return `${file}: ${target}: no heading #${hash} in ${resolved}`
  return undefined
}

describe('the documentation', () => {
  it('has no broken link between the README, SECURITY.md, BENCHMARKS.md and docs/', () => {
    const broken = PAGES.flatMap((file) => linksOf(file).map((target) => brokenLink(file, target))).filter((b) => b !== undefined)
    expect(broken).toEqual([])
  })

  it('finds a broken link when there is one', () => {
    expect(brokenLink('README.md', 'docs/nowhere.md')).toMatch(/no file docs\/nowhere.md/)
    expect(brokenLink('README.md', 'docs/cli.md#no-such-heading')).toMatch(/no heading/)
    expect(brokenLink('README.md', 'docs/cli.md')).toBeUndefined()
  })

  it('keeps docs/errors.md as the error catalogue renders it', () => {
    const page = readFileSync(path.join(ROOT, 'docs/errors.md'), 'utf8')
    expect(page, 'docs/errors.md is out of date with src/errors.ts: run `npm run docs:errors`').toBe(renderErrorsPage())
  })

  it('lists every error code of the catalogue on the errors page', () => {
    const page = renderErrorsPage()
    expect(Object.keys(ERRORS).filter((code) => !page.includes(`\`${code}\``))).toEqual([])
  })

  it('keeps the README a front page', () => {
    const lines = readFileSync(path.join(ROOT, 'README.md'), 'utf8').split('\n').length
    expect(lines).toBeLessThanOrEqual(300)
  })
})
