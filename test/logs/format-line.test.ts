import { describe, expect, it } from 'vitest'
import { formatLogLine, formatValue } from '../../src/logs/format-line.js'

const ESC = '\u001b['
/** The time shown is the reader's local time: only the seconds and milliseconds are the same in every zone. */
const TIME = String.raw`\d{4}-\d\d-\d\d \d\d:\d\d:03\.412`

const plain = (entry: Record<string, unknown>) => formatLogLine(JSON.stringify(entry), { color: false })

describe('formatLogLine', () => {
  it('prints one line per event: time, level, message, then key=value in the order logged', () => {
    const text = plain({
      level: 'warn',
      time: '2026-12-06T09:12:03.412Z',
      pid: 4242,
      node: 'host-9501',
      worker: 1,
      generation: 2,
      msg: 'worker ended mid-request',
    })
    expect(text.endsWith('\n')).toBe(true)
    expect(text.split('\n')).toHaveLength(2)
    expect(text).toMatch(new RegExp(`^${TIME} WARN  worker ended mid-request worker=1 generation=2\\n$`))
  })

  it('pads every level to the same width, so the messages line up', () => {
    for (const level of ['trace', 'debug', 'info', 'warn', 'error', 'fatal']) {
      expect(plain({ level, time: '2026-12-06T09:12:03.412Z', msg: 'm' })).toMatch(
        new RegExp(`^${TIME} ${level.toUpperCase().padEnd(5)} m\\n$`),
      )
    }
  })

  it('reads the numbered levels of older log files', () => {
    expect(plain({ level: 40, time: '2026-12-06T09:12:03.412Z', msg: 'old' })).toMatch(new RegExp(`^${TIME} WARN  old\\n$`))
    expect(plain({ level: 50, time: 1796548323412, msg: 'epoch' })).toMatch(/ ERROR epoch\n$/)
  })

  it('quotes values with spaces, quotes or controls, and writes objects and arrays as compact JSON', () => {
    const text = plain({
      level: 'info',
      msg: 'm',
      reason: 'not allowed here',
      empty: '',
      word: 'abc-1.2',
      ok: true,
      none: null,
      tagged: 'a="b"',
      address: { host: '127.0.0.1', port: 9501 },
      keys: ['auth.key', 'manager.key'],
    })
    expect(text).toContain(
      ' reason="not allowed here" empty="" word=abc-1.2 ok=true none=null tagged="a=\\"b\\"" address={"host":"127.0.0.1","port":9501} keys=["auth.key","manager.key"]\n',
    )
  })

  it('prints a stack on indented lines under the event, and the rest of the error on the line', () => {
    const stack = 'Error: boom\n    at run (/app/a.js:1:2)\n    at main (/app/b.js:3:4)'
    const text = plain({
      level: 'error',
      msg: 'app call failed',
      call: 'rooms.list',
      err: { type: 'Error', message: 'boom', stack, code: 'E1' },
    })
    expect(text.split('\n')).toEqual([
      expect.stringMatching(/^ERROR app call failed call=rooms\.list err=\{"type":"Error","message":"boom","code":"E1"\}$/),
      '    Error: boom',
      '        at run (/app/a.js:1:2)',
      '        at main (/app/b.js:3:4)',
      '',
    ])
  })

  it('prints any value of several lines under its key, never as one escaped string', () => {
    const text = plain({ level: 'info', msg: 'query', sql: 'SELECT 1\n  FROM t\n', rows: 3 })
    expect(text.split('\n')).toEqual([expect.stringMatching(/^INFO {2}query rows=3$/), '    sql:', '      SELECT 1', '        FROM t', ''])
  })

  it('never lets a logged value drive the terminal: controls are escaped, in the message and the values', () => {
    const text = plain({ level: 'info', msg: `hi${ESC}2J`, reason: `x${ESC}31my`, odd: 'a\u009bb' })
    expect(text).not.toContain('\u001b')
    expect(text).not.toContain('\u009b')
    expect(text).toContain('hi\\u001b[2J')
    expect(text).toContain('reason="x\\u001b[31my"')
    expect(text).toContain('odd="a\\u009bb"')
  })

  it('colours the level and dims the time and keys only when asked', () => {
    const line = JSON.stringify({ level: 'warn', time: '2026-12-06T09:12:03.412Z', msg: 'careful', fd: 7 })
    const coloured = formatLogLine(line, { color: true })
    expect(coloured).toContain(`${ESC}33mWARN ${ESC}0m`)
    expect(coloured).toContain(`${ESC}2mfd=${ESC}0m7`)
    expect(formatLogLine(line, { color: false })).not.toContain('\u001b')
  })

  it('hands back a line that is not a JSON object unchanged', () => {
    expect(formatLogLine('not json', { color: true })).toBe('not json\n')
    expect(formatLogLine('[1,2]', { color: false })).toBe('[1,2]\n')
  })
})

describe('formatValue', () => {
  it('leaves one word bare and quotes the rest', () => {
    expect(formatValue('ws://127.0.0.1:9501')).toBe('ws://127.0.0.1:9501')
    expect(formatValue('two words')).toBe('"two words"')
    expect(formatValue('tab\there')).toBe('"tab\\there"')
    expect(formatValue(12.5)).toBe('12.5')
  })
})
