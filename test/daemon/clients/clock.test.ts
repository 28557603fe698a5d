import { describe, expect, it } from 'vitest'
import { clockNow, epochMs } from '../../../src/daemon/clients/clock.js'

describe("the daemon's clock", () => {
  it('reads milliseconds that map back to the epoch time they were taken at', () => {
    const before = Date.now()
    const t = clockNow()
    const after = Date.now()
    expect(Number.isInteger(t)).toBe(true)
    expect(t).toBeGreaterThanOrEqual(0)
    expect(epochMs(t)).toBeGreaterThanOrEqual(before)
    expect(epochMs(t)).toBeLessThanOrEqual(after)
  })

  it('never goes back', () => {
    let last = clockNow()
    for (let i = 0; i < 1000; i++) {
      const t = clockNow()
      expect(t).toBeGreaterThanOrEqual(last)
      last = t
    }
  })
})
