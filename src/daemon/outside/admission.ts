import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
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
  /** Sockets accepted past their address's cap, kept only until their upgrade hears 429. */
  readonly #overCap: ConnectionCap
  /** The slot each socket took when it was accepted, freed when it closes. */
  readonly #slots = new WeakMap<Duplex, () => void>()
  readonly #overCapSlots = new WeakMap<Duplex, () => void>()

  constructor(settings: AdmissionSettings) {
    this.#maxUrlLength = settings.maxUrlLength
    this.#origins = new OriginPolicy(settings.allowedOrigins)
    this.#rate = new UpgradeRate({ rate: settings.connectionsPerSecondPerIp })
    this.#cap = new ConnectionCap(settings.maxConnectionsPerIp)
    this.#overCap = new ConnectionCap(settings.maxConnectionsPerIp)
  }

  /** Addresses the limits currently hold state for (for tests and metrics). */
  get tracked(): { rate: number; connections: number; overCap: number } {
    return { rate: this.#rate.size, connections: this.#cap.size, overCap: this.#overCap.size }
  }

  /**
   * A TCP connection from `peer`, not a trusted proxy, as it is accepted and
   * before any byte of its request: it takes one of the address's slots for
   * its whole life, so sockets still sending their headers count toward the
   * cap as upgraded ones do. Past the cap, as many again may stay to hear the
   * 429 their upgrade gets; false when the address holds that many too, and
   * the socket is to be closed at once.
   */
  accept(socket: Duplex, peer: string): boolean {
    if (!this.#cap.enabled) return true
    const release = this.#cap.acquire(peer)
    if (release) {
      this.#slots.set(socket, release)
      socket.once('close', release)
      return true
    }
    const overCap = this.#overCap.acquire(peer)
    if (overCap === undefined) return false
    this.#overCapSlots.set(socket, overCap)
    socket.once('close', overCap)
    return true
  }

  check(req: IncomingMessage, ip: string, now: number): AdmissionResult {
    const url = req.url ?? '/'
    if (url.length > this.#maxUrlLength) {
      return { ok: false, check: 'url', reason: `request URL of ${url.length} bytes is over ${this.#maxUrlLength}`, response: REFUSALS.url }
    }
    const origin = firstHeader(req, 'origin')
    if (!this.#origins.allows(origin)) {
      return {
        ok: false,
        check: 'origin',
        reason: `origin ${JSON.stringify(origin?.slice(0, 200))} is not allowed`,
        response: REFUSALS.origin,
      }
    }
    const rate = this.#rate.take(ip, now)
    if (!rate.ok) {
      return {
        ok: false,
        check: 'rate',
        reason: 'too many upgrades per second from this address',
        response: REFUSALS.rate(rate.retryAfterSeconds),
      }
    }
    if (!this.#cap.enabled) return { ok: true, release: undefined }
    // Counted when accepted: the upgrade keeps that slot rather than taking a second.
    const accepted = this.#slots.get(req.socket)
    if (accepted) return { ok: true, release: accepted }
    // A trusted proxy's socket, counted by the address it forwards; or one accepted past the cap.
    const release = this.#cap.acquire(ip)
    if (release === undefined) {
      return {
        ok: false,
        check: 'connections',
        reason: `address already holds ${this.#cap.count(ip)} connections`,
        response: REFUSALS.connections,
      }
    }
    this.#overCapSlots.get(req.socket)?.()
    return { ok: true, release }
  }
}
