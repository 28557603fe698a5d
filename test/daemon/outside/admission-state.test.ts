import { describe, expect, it } from 'vitest'
import { ConnectionCap } from '../../../src/daemon/outside/connection-cap.js'
import { parseOriginPattern } from '../../../src/config/origin-pattern.js'
import { OriginPolicy } from '../../../src/daemon/outside/origin-policy.js'
import { UpgradeRate } from '../../../src/daemon/outside/upgrade-rate.js'

describe('OriginPolicy', () => {
  const policy = new OriginPolicy(['https://Wall.Example.com', 'https://*.example.org', 'http://localhost:8080', 'https://example.net:443'])

  it('matches scheme, host (any case) and port exactly, and wildcards on subdomains only', () => {
    for (const origin of [
      'https://wall.example.com',
      'https://WALL.EXAMPLE.COM',
      'https://a.example.org',
      'https://a.b.example.org',
      'http://localhost:8080',
      'https://example.net', // the default port is the same origin
    ]) {
      expect(policy.allows(origin), origin).toBe(true)
    }
    for (const origin of [
      'http://wall.example.com',
      'https://wall.example.com:444',
      'https://example.org',
      'https://aexample.org',
      'https://example.org.evil.com',
      'http://localhost',
      'null',
      '',
      'not a url',
    ]) {
      expect(policy.allows(origin), origin).toBe(false)
    }
  })

  it('allows any upgrade without an Origin header, and anything when the list is empty', () => {
    expect(policy.allows(undefined)).toBe(true)
    expect(new OriginPolicy([]).allows('https://anywhere.example')).toBe(true)
  })

  it('parses only scheme://host[:port] and scheme://*.host[:port]', () => {
    expect(parseOriginPattern('https://*.example.com:8443')).toEqual({
      protocol: 'https:',
      host: 'example.com',
      port: '8443',
      wildcard: true,
    })
    expect(parseOriginPattern('http://[::1]:3000')).toEqual({ protocol: 'http:', host: '[::1]', port: '3000', wildcard: false })
    for (const bad of [
      'example.com',
      'https://',
      'https://example.com/path',
      'https://user@example.com',
      'https://*',
      'https://a.*.example.com',
      '*',
      'https://example.com:99999',
    ]) {
      expect(parseOriginPattern(bad), bad).toBeUndefined()
    }
  })
})

describe('UpgradeRate', () => {
  it('lets a burst of `rate` through, refills at `rate` per second, and says when to retry', () => {
    const rate = new UpgradeRate({ rate: 2 })
    expect(rate.take('a', 0)).toEqual({ ok: true })
    expect(rate.take('a', 0)).toEqual({ ok: true })
    expect(rate.take('a', 0)).toEqual({ ok: false, retryAfterSeconds: 1 })
    expect(rate.take('b', 0)).toEqual({ ok: true })
    expect(rate.take('a', 500)).toEqual({ ok: true })
    expect(rate.take('a', 500)).toMatchObject({ ok: false })
    expect(new UpgradeRate({ rate: 0 }).take('a', 0)).toEqual({ ok: true })
  })

  it('forgets addresses whose bucket has refilled, so a flood from many addresses leaves nothing behind', () => {
    const rate = new UpgradeRate({ rate: 5, sweepMs: 1000 })
    for (let i = 0; i < 10_000; i++) rate.take(`10.0.${i >> 8}.${i & 255}`, 0)
    expect(rate.size).toBe(10_000)
    rate.take('10.9.9.9', 2000) // a take after the sweep interval sweeps
    expect(rate.size).toBe(1)
  })

  it('never tracks more than maxTracked addresses', () => {
    const rate = new UpgradeRate({ rate: 1, maxTracked: 100, sweepMs: 60_000 })
    for (let i = 0; i < 5000; i++) expect(rate.take(`addr-${i}`, i % 50)).toEqual({ ok: true })
    expect(rate.size).toBeLessThanOrEqual(100)
  })
})

describe('ConnectionCap', () => {
  it('counts open sockets per address, frees a slot once per release, and drops an address at zero', () => {
    const cap = new ConnectionCap(2)
    const a1 = cap.acquire('a')
    const a2 = cap.acquire('a')
    expect(a1).toBeTypeOf('function')
    expect(cap.acquire('a')).toBeUndefined()
    expect(cap.acquire('b')).toBeTypeOf('function')
    a1?.()
    a1?.() // a second call is a no-op, not a second free slot
    expect(cap.count('a')).toBe(1)
    expect(cap.acquire('a')).toBeTypeOf('function')
    expect(cap.acquire('a')).toBeUndefined()
    a2?.()
    expect(cap.size).toBe(2)
  })

  it('keeps no state per address once its sockets are gone', () => {
    const cap = new ConnectionCap(3)
    const releases = Array.from({ length: 1000 }, (_, i) => cap.acquire(`ip-${i % 300}`))
    expect(cap.size).toBe(300)
    for (const release of releases) release?.()
    expect(cap.size).toBe(0)
  })
})
