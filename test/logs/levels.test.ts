import { describe, expect, it } from 'vitest'
import { levelFilter, levelName } from '../../src/logs/levels.js'

describe('levelFilter', () => {
  it('keeps the lines at the level and above, named as the daemon writes them', () => {
    const keep = levelFilter('warn')
    expect(keep('{"level":"info","msg":"a"}')).toBe(false)
    expect(keep('{"level":"warn","msg":"b"}')).toBe(true)
    expect(keep('{"level":"fatal","msg":"c"}')).toBe(true)
  })

  it('reads the numbered levels of rotated files from earlier versions the same way', () => {
    const keep = levelFilter('warn')
    expect(keep('{"level":30,"msg":"a"}')).toBe(false)
    expect(keep('{"level":40,"msg":"b"}')).toBe(true)
    expect(keep('{"level":60,"msg":"c"}')).toBe(true)
  })

  it("goes by the line's own level, not a field further on", () => {
    expect(levelFilter('error')('{"level":"info","msg":"m","_level":"fatal"}')).toBe(false)
    expect(levelFilter('warn')('{"msg":"no level"}')).toBe(false)
    expect(levelFilter(undefined)('{"msg":"no level"}')).toBe(true)
  })
})

describe('levelName', () => {
  it('names numbers and names alike', () => {
    expect(levelName(40)).toBe('warn')
    expect(levelName('error')).toBe('error')
    expect(levelName(35)).toBeUndefined()
    expect(levelName('loud')).toBeUndefined()
  })
})
