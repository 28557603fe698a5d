import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createDaemonLogger, type DaemonLoggerOptions } from '../../src/daemon/logging/logger.js'
import { topLevelKeys } from './top-level-keys.js'

const folders: string[] = []
afterEach(async () => {
  vi.restoreAllMocks()
  await Promise.all(folders.splice(0).map((dir) => rm(dir, { recursive: true, force: true })))
})

async function logger(options: Partial<DaemonLoggerOptions> = {}) {
  const dir = await mkdtemp(path.join(tmpdir(), 'msw-logger-'))
  folders.push(dir)
  const file = path.join(dir, 'mswoole.log')
  const log = createDaemonLogger({ file, level: 'debug', maxSize: 1 << 20, maxFiles: 1, stdout: false, nodeId: 'node-a', ...options })
  const lines = async () => {
    log.flushSync()
    await log.close()
    return (await readFile(file, 'utf8')).split('\n').filter((line) => line.length > 0)
  }
  return { log, lines }
}

describe('the daemon logger', () => {
  it('writes each key once, the level by name, pid and node from the daemon', async () => {
    const { log, lines } = await logger()
    log.logger.info({ pid: process.pid, version: '1' }, 'mswoole started')
    log.logger.warn({ inFlight: 1 }, 'workers still busy at stop; ended them')
    // An app's fields are its own: named like a key of the line, they are kept aside, not repeated.
    log.logger.info({ level: 3, msg: 'theirs', time: 'noon', pid: 7, node: 'other', _level: 'x', worker: 1 }, 'from the app')
    const written = await lines()
    expect(written).toHaveLength(3)
    for (const line of written) {
      const keys = topLevelKeys(line)
      expect(keys, line).toEqual([...new Set(keys)])
      expect(keys.slice(0, 4), line).toEqual(['level', 'time', 'pid', 'node'])
    }
    const [started, warned, app] = written.map((line) => JSON.parse(line) as Record<string, unknown>)
    expect(started).toMatchObject({ level: 'info', pid: process.pid, node: 'node-a', version: '1', msg: 'mswoole started' })
    expect(warned).toMatchObject({ level: 'warn', inFlight: 1 })
    expect(app).toEqual({
      level: 'info',
      time: expect.any(String),
      pid: process.pid,
      node: 'node-a',
      __level: 3,
      _msg: 'theirs',
      _time: 'noon',
      _pid: 7,
      _node: 'other',
      _level: 'x',
      worker: 1,
      msg: 'from the app',
    })
  })

  it('keeps the message of an error logged alone', async () => {
    const { log, lines } = await logger()
    log.logger.error(new Error('boom'))
    const [line] = (await lines()).map((text) => JSON.parse(text) as { msg: string; err: { stack: string } })
    expect(line).toMatchObject({ msg: 'boom', err: { stack: expect.stringContaining('Error: boom') } })
  })

  it('writes one-line text to stdout when asked, JSON lines otherwise, and JSON to the file always', async () => {
    const written: string[] = []
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk))
      return true
    })
    const pretty = await logger({ stdout: { pretty: true, color: false } })
    pretty.log.logger.warn({ worker: 1 }, 'worker ended mid-request')
    const json = await logger({ stdout: { pretty: false } })
    json.log.logger.warn({ worker: 1 }, 'worker ended mid-request')
    const files = [...(await pretty.lines()), ...(await json.lines())]
    vi.restoreAllMocks()

    expect(written).toHaveLength(2)
    expect(written[0]).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} WARN {2}worker ended mid-request worker=1\n$/)
    expect(JSON.parse(written[1] as string)).toMatchObject({ level: 'warn', worker: 1 })
    for (const line of files) expect(JSON.parse(line)).toMatchObject({ level: 'warn', msg: 'worker ended mid-request' })
  })
})
