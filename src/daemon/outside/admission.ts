import type { IncomingMessage } from 'node:http'
import { firstHeader } from './client-ip.js'
import { ConnectionCap } from './connection-cap.js'
import { OriginPolicy } from './origin-policy.js'
import { refusal } from './refusal.js'
import { UpgradeRate } from './upgrade-rate.js'

export interface AdmissionSettings {
  /** outside.allowed_origins; [] = any origin. */
  allowedOrigins: readonly string[]
  /** outside.max_connections_per_ip; 0 = no limit. */
  maxConnectionsPerIp: number
  /** outside.connections_per_second_per_ip; 0 = no limit. */
  connectionsPerSecondPerIp: number
  /** outside.max_url_length, bytes of the request target (path and query). */
  maxUrlLength: number
}

export type AdmissionResult =
  /** `release` frees the address's connection slot; call it once the socket is gone (it is idempotent). */
  | { ok: true; release: (() => void) | undefined }
  /** `response` is the whole HTTP response to write before closing the socket. */
  | { ok: false; check: 'url' | 'origin' | 'rate' | 'connections'; reason: string; response: string }

export const REFUSALS = {
  url: refusal(414, { message: 'error url' }),
  origin: refusal(403, { message: 'error origin' }),
  connections: refusal(429, { message: 'error connections' }),
  rate: (retryAfterSeconds: number) => refusal(429, { 'retry-after': String(retryAfterSeconds), message: 'error rate' }),
} as const

/**
 * The checks an upgrade passes before its token is even read, cheapest first:
 * URL length, Origin, the address's upgrade rate, then its open connections.
 * None of them looks at, or touches, any other connection.
 */
export class UpgradeAdmission {
  readonly #maxUrlLength: number
  readonly #origins: OriginPolicy
  readonly #rate: UpgradeRate
  readonly #cap: ConnectionCap

  constructor(settings: AdmissionSettings) {
    this.#maxUrlLength = settings.maxUrlLength
    this.#origins = new OriginPolicy(settings.allowedOrigins)
    this.#rate = new UpgradeRate({ rate: settings.connectionsPerSecondPerIp })
    this.#cap = new ConnectionCap(settings.maxConnectionsPerIp)
  }

  /** Addresses the limits currently hold state for (for tests and metrics). */
  get tracked(): { rate: number; connections: number } {
    return { rate: this.#rate.size, connections: this.#cap.size }
  }

  check(req: IncomingMessage, ip: string, now: number): AdmissionResult {
    const url = req.url ?? '/'
    if (url.length > this.#maxUrlLength) {
      return { ok: false, check: 'url', reason: `request URL of ${url.length} bytes is over ${this.#maxUrlLength}`, response: REFUSALS.url }
    }
    const origin = firstHeader(req, 'origin')
    if (!this.#origins.allows(origin)) {
      return { ok: false, check: 'origin', reason: `origin ${JSON.stringify(origin?.slice(0, 200))} is not allowed`, response: REFUSALS.origin }
    }
    const rate = this.#rate.take(ip, now)
    if (!rate.ok) {
      return { ok: false, check: 'rate', reason: 'too many upgrades per second from this address', response: REFUSALS.rate(rate.retryAfterSeconds) }
    }
    if (!this.#cap.enabled) return { ok: true, release: undefined }
    const release = this.#cap.acquire(ip)
    if (release === undefined) {
      return { ok: false, check: 'connections', reason: `address already holds ${this.#cap.count(ip)} connections`, response: REFUSALS.connections }
    }
    return { ok: true, release }
  }
}
