import { describe, expect, it } from 'vitest'
import { type Column, keyValueLines, renderColumns } from '../../src/cli/columns.js'
import { outputWidth } from '../../src/cli/output-flag.js'
import { cleanCell, textWidth, truncate } from '../../src/cli/text-width.js'

interface Row {
  id: number
  name: string
  note: string
  extra: string
}

const COLUMNS: Column<Row>[] = [
  { header: 'id', cell: (r) => r.id },
  { header: 'name', cell: (r) => r.name, shrink: true },
  { header: 'note', cell: (r) => r.note, keep: 20, shrink: true },
  { header: 'extra', cell: (r) => r.extra, keep: 10 },
]

const ROWS: Row[] = [
  { id: 1, name: 'alpha', note: 'short', extra: 'x' },
  { id: 22, name: 'beta-longer-name', note: 'a rather longer note', extra: 'yyyy' },
]

const lines = (text: string) => text.split('\n')

describe('renderColumns', () => {
  it('pads every column to its widest cell, three spaces apart, with upper-case headers and no trailing space', () => {
    expect(lines(renderColumns(COLUMNS, ROWS, { width: undefined, wide: false }))).toEqual([
      'ID   NAME               NOTE                   EXTRA',
      '1    alpha              short                  x',
      '22   beta-longer-name   a rather longer note   yyyy',
    ])
  })

  it('prints the header alone for no rows', () => {
    expect(renderColumns(COLUMNS, [], { width: undefined, wide: false })).toBe('ID   NAME   NOTE   EXTRA')
  })

  it('drops the least useful column first when the table is too wide', () => {
    // 52 cells in full; without EXTRA (kept least) 44.
    const text = renderColumns(COLUMNS, ROWS, { width: 45, wide: false })
    expect(lines(text)[0]).toBe('ID   NAME               NOTE')
    for (const line of lines(text)) expect(textWidth(line)).toBeLessThanOrEqual(45)
  })

  it('then cuts the widest free-text column short with "…"', () => {
    // Without EXTRA and NOTE, 21 cells: NAME gives one.
    expect(lines(renderColumns(COLUMNS, ROWS, { width: 20, wide: false }))).toEqual([
      'ID   NAME', //
      '1    alpha',
      '22   beta-longer-na…',
    ])
  })

  it('cuts the widest of several free-text columns first, down to even widths', () => {
    const kept = COLUMNS.slice(0, 3).map(({ keep: _, ...column }) => column)
    const text = lines(renderColumns(kept, ROWS, { width: 30, wide: false }))
    expect(text).toEqual([
      'ID   NAME          NOTE', //
      '1    alpha         short',
      '22   beta-longe…   a rather l…',
    ])
  })

  it('drops a column for one long text only when cutting the text short is not enough', () => {
    const long = [{ id: 1, name: 'n', note: 'x'.repeat(200), extra: 'e' }]
    const text = lines(renderColumns(COLUMNS, long, { width: 40, wide: false }))
    expect(text[0]).toBe('ID   NAME   NOTE                   EXTRA')
    expect(text[1]).toBe(`1    n      ${'x'.repeat(19)}…   e`)
  })

  it('keeps the columns it may not drop, and lets a line overflow rather than cut below a header', () => {
    const text = lines(renderColumns(COLUMNS, ROWS, { width: 5, wide: false }))
    expect(text[0]).toBe('ID   NAME')
    expect(text[2]).toBe('22   beta…')
  })

  it('shows every column in full with -o wide, whatever the width', () => {
    expect(renderColumns(COLUMNS, ROWS, { width: 20, wide: true })).toBe(renderColumns(COLUMNS, ROWS, { width: undefined, wide: false }))
  })

  it('lines up wide characters and shows control characters as "?"', () => {
    const rows = [
      { id: 1, name: '张三', note: 'e\u0301', extra: '🎉' },
      { id: 2, name: 'ab\x1b[31m\ncd', note: '\u202eevil', extra: '-' },
    ]
    expect(lines(renderColumns(COLUMNS, rows, { width: undefined, wide: false }))).toEqual([
      'ID   NAME         NOTE    EXTRA',
      '1    张三         e\u0301       🎉',
      '2    ab?[31m?cd   ?evil   -',
    ])
  })
})

describe('text width', () => {
  it('counts East Asian wide characters and emoji as two cells, combining marks as none', () => {
    expect(textWidth('abc')).toBe(3)
    expect(textWidth('张三')).toBe(4)
    expect(textWidth('🎉x')).toBe(3)
    expect(textWidth('e\u0301')).toBe(1)
  })

  it('cuts text to a number of cells, never splitting a wide character', () => {
    expect(truncate('abcdef', 6)).toBe('abcdef')
    expect(truncate('abcdef', 4)).toBe('abc…')
    expect(truncate('张三李四', 6)).toBe('张三…')
    expect(truncate('张三李四', 5)).toBe('张三…')
    expect(truncate('张三李四', 4)).toBe('张…')
  })

  it('replaces what could move the cursor or reorder a line', () => {
    expect(cleanCell('a\tb\r\n\x07\x9b\u2028\u2066c')).toBe('a?b??????c')
    expect(cleanCell('plain 文字 🎉')).toBe('plain 文字 🎉')
  })
})

describe('keyValueLines', () => {
  it('aligns the values after the longest key', () => {
    expect(
      keyValueLines([
        ['state', 'running'],
        ['connections', 3],
      ]),
    ).toBe('state:        running\nconnections:  3')
  })
})

describe('outputWidth', () => {
  it("is the terminal's width on a terminal", () => {
    expect(outputWidth({ isTTY: true, columns: 80 }, { COLUMNS: '200' })).toBe(80)
  })

  it('is no limit for a pipe, unless COLUMNS sets one', () => {
    expect(outputWidth({ isTTY: false }, {})).toBeUndefined()
    expect(outputWidth({}, { COLUMNS: '100' })).toBe(100)
    expect(outputWidth({}, { COLUMNS: 'wide' })).toBeUndefined()
    expect(outputWidth({}, { COLUMNS: '0' })).toBeUndefined()
  })
})
