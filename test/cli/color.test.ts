import { describe, expect, it } from 'vitest'
import { useColor } from '../../src/cli/color.js'

const TERM = { TERM: 'xterm-256color' }

describe('useColor', () => {
  it('colours a terminal', () => {
    expect(useColor({ isTTY: true, env: TERM })).toBe(true)
    expect(useColor({ isTTY: true, env: {} })).toBe(true)
  })

  it('never colours a pipe or a file', () => {
    expect(useColor({ isTTY: false, env: TERM })).toBe(false)
    expect(useColor({ isTTY: undefined, env: TERM })).toBe(false)
  })

  it('never colours under NO_COLOR with any non-empty value, nor under TERM=dumb', () => {
    expect(useColor({ isTTY: true, env: { ...TERM, NO_COLOR: '1' } })).toBe(false)
    expect(useColor({ isTTY: true, env: { ...TERM, NO_COLOR: 'false' } })).toBe(false)
    expect(useColor({ isTTY: true, env: { TERM: 'dumb' } })).toBe(false)
    // An empty NO_COLOR is no request (no-color.org).
    expect(useColor({ isTTY: true, env: { ...TERM, NO_COLOR: '' } })).toBe(true)
  })

  it('does what --color or --no-color says, whatever the terminal', () => {
    expect(useColor({ isTTY: true, env: TERM, flag: false })).toBe(false)
    expect(useColor({ isTTY: false, env: { NO_COLOR: '1' }, flag: true })).toBe(true)
    expect(useColor({ isTTY: true, env: TERM, flag: undefined })).toBe(true)
  })
})
