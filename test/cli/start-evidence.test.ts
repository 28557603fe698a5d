import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { evidenceText, gatherEvidence, markFiles, tellingLogLine, tellingOutLine } from '../../src/lifecycle/start-evidence.js'

const NODE_CRASH = [
  'file:///srv/app/Index/Controller/Index.ts:3',
  "  throw new Error('no database')",
  '  ^',
  '',
  'Error: no database',
  '    at file:///srv/app/Index/Controller/Index.ts:3:9',
  '',
  'Node.js v20.20.0',
]

describe('what a failed start wrote', () => {
  const folders: string[] = []
  afterEach(async () => {
    await Promise.all(folders.splice(0).map((folder) => rm(folder, { recursive: true, force: true })))
  })

  it("takes the error line of node's crash output, not its frames or its footer", () => {
    expect(tellingOutLine(NODE_CRASH)).toBe('Error: no database')
    expect(tellingOutLine(['listening failed somehow'])).toBe('listening failed somehow')
    expect(tellingOutLine([])).toBeUndefined()
  })

  it("takes the log's last warning or error with its cause, else its last line; level numbers or names", () => {
    const lines = [
      JSON.stringify({ level: 30, msg: 'loading' }),
      JSON.stringify({ level: 'error', msg: 'worker failed', err: { message: 'boom\n  at x' } }),
      JSON.stringify({ level: 30, msg: 'cleaning up' }),
    ]
    expect(tellingLogLine(lines)).toBe('worker failed: boom')
    expect(tellingLogLine([JSON.stringify({ level: 30, msg: 'loading' })])).toBe('loading')
    expect(tellingLogLine([])).toBeUndefined()
  })

  it('reads only what was written after the mark, and says plainly when that is nothing', async () => {
    const folder = await mkdtemp(path.join(tmpdir(), 'msw-evidence-'))
    folders.push(folder)
    const out = path.join(folder, 'daemon.out')
    const log = path.join(folder, 'mswoole.log')
    await writeFile(out, 'Error: an earlier run\n')
    const marks = await markFiles(out, log)
    const nothing = await gatherEvidence(out, log, marks)
    expect(nothing).toEqual({ outFile: out, logFile: log, daemonOut: [], log: [] })
    expect(evidenceText(nothing)).toBe(`; it wrote nothing, neither to ${out} nor to ${log}`)

    await appendFile(out, `${NODE_CRASH.join('\n')}\n`)
    await writeFile(log, `${JSON.stringify({ level: 50, msg: 'start failed', err: { message: 'no database' } })}\n`)
    const evidence = await gatherEvidence(out, log, marks)
    expect(evidence.daemonOut).not.toContain('Error: an earlier run')
    expect(evidenceText(evidence)).toBe(`; its log says: start failed: no database; ${out} says: Error: no database`)
  })
})
