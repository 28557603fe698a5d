import pino from 'pino'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { MswError } from '../../src/errors.js'
import { KeyFailures } from '../../src/daemon/manager/key-failures.js'
import type { HttpError } from '../../src/daemon/manager/http-error.js'

/**
 * The wrong-key limiter on its own, on a fake clock: the window passing, the
 * memory bound, and the aggregate log line (the live port is covered by
 * manager-defaults.test.ts).
 */

function logged(): { logger: pino.Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = []
  const logger = pino({ level: 'warn' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) })
  return { logger, lines }
}

function refusal(failures: KeyFailures, address: string): HttpError | undefined {
  try {
    failures.check(address)
    return undefined
  } catch (err) {
    expect(err).toBeInstanceOf(MswError)
    return err as HttpError
  }
}

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 })
})
afterEach(() => {
  vi.useRealTimers()
})

describe('KeyFailures', () => {
  it('refuses an address after `limit` failures until the window has passed, with Retry-After counting down', () => {
    const { logger } = logged()
    const failures = new KeyFailures({ limit: 10, windowMs: 10_000, logger })
    for (let i = 0; i < 9; i++) failures.fail('10.0.0.1')
    expect(refusal(failures, '10.0.0.1')).toBeUndefined()
    failures.fail('10.0.0.1')
    const refused = refusal(failures, '10.0.0.1')!
    expect(refused.status).toBe(429)
    expect(refused.code).toBe('MSW_ERR_MANAGER_RATE_LIMITED')
    expect(refused.headers['retry-after']).toBe('10')
    expect(refusal(failures, '10.0.0.2')).toBeUndefined()
    vi.advanceTimersByTime(6_500)
    expect(refusal(failures, '10.0.0.1')!.headers['retry-after']).toBe('4')
    vi.advanceTimersByTime(3_500)
    expect(refusal(failures, '10.0.0.1')).toBeUndefined()
    // A new window starts from nothing.
    failures.fail('10.0.0.1')
    expect(refusal(failures, '10.0.0.1')).toBeUndefined()
    failures.close()
  })

  it('forgets failures older than the window', () => {
    const { logger } = logged()
    const failures = new KeyFailures({ limit: 3, windowMs: 10_000, logger })
    failures.fail('a')
    failures.fail('a')
    vi.advanceTimersByTime(10_000)
    failures.fail('a')
    failures.fail('a')
    expect(refusal(failures, 'a')).toBeUndefined()
    failures.close()
  })

  it('tracks at most maxTracked addresses, dropping the oldest', () => {
    const { logger } = logged()
    const failures = new KeyFailures({ limit: 2, maxTracked: 100, logger })
    for (let i = 0; i < 1000; i++) failures.fail(`addr-${i}`)
    expect(failures.size).toBe(100)
    failures.fail('addr-999')
    expect(refusal(failures, 'addr-999')?.status).toBe(429)
    failures.close()
  })

  it('logs at warn at most once a second, each line with the count since the last', () => {
    const { logger, lines } = logged()
    const failures = new KeyFailures({ limit: 0, logger })
    for (let i = 0; i < 11; i++) failures.fail('127.0.0.1')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatchObject({ level: 40, msg: 'wrong manager keys', failures: 1 })
    vi.advanceTimersByTime(1000)
    expect(lines).toHaveLength(2)
    expect(lines[1]).toMatchObject({ failures: 10, addresses: ['127.0.0.1'] })
    vi.advanceTimersByTime(5000)
    expect(lines).toHaveLength(2)
    // A limit of 0 refuses no one.
    expect(refusal(failures, '127.0.0.1')).toBeUndefined()
    failures.fail('::1')
    failures.close()
    expect(lines).toHaveLength(3)
  })
})
