import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { DashboardSessions, SESSION_MS } from '../../../src/daemon/manager/dashboard.js'

describe('dashboard sessions', () => {
  it('are valid for 12 h, then not', () => {
    let now = 1_000_000
    const sessions = new DashboardSessions('the key', randomBytes(32), () => now)
    const { value, expires } = sessions.issue()
    expect(expires).toBe(now + SESSION_MS)
    expect(SESSION_MS).toBe(12 * 3600 * 1000)
    now += SESSION_MS - 1
    expect(sessions.valid(value)).toBe(true)
    now += 1
    expect(sessions.valid(value)).toBe(false)
  })

  it('are bound to the manager key: another key, or the open mode, takes none of them', () => {
    const value = new DashboardSessions('the key', randomBytes(32)).issue().value
    expect(new DashboardSessions('the key', randomBytes(32)).valid(value)).toBe(true)
    expect(new DashboardSessions('another key', randomBytes(32)).valid(value)).toBe(false)
    expect(new DashboardSessions('', randomBytes(32)).valid(value)).toBe(false)
  })

  it('refuse anything altered or malformed', () => {
    const sessions = new DashboardSessions('the key', randomBytes(32))
    const value = sessions.issue().value
    const [expiry, mac] = value.split('.') as [string, string]
    for (const bad of [
      undefined,
      '',
      '.',
      expiry,
      `${expiry}.`,
      `.${mac}`,
      `${Number(expiry) + 1}.${mac}`,
      `${expiry}.${mac}x`,
      `${expiry}.${mac.slice(1)}`,
      `0${expiry}.${mac}`,
      `${expiry}.${mac}.${mac}`,
      `-${expiry}.${mac}`,
      `99999999999999999.${mac}`,
    ]) {
      expect(sessions.valid(bad), String(bad)).toBe(false)
    }
  })
})
