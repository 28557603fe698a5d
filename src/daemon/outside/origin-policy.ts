/**
 * outside.allowed_origins: which web pages may open a WebSocket to the outside
 * port. Browsers always send `Origin` on a WebSocket upgrade, so the check
 * stops a page on another site from opening a socket with the visitor's
 * cookies (cross-site WebSocket hijacking). Clients that are not browsers
 * (the seed's PHP test client, backends, phones' native apps) send no Origin
 * and are not concerned.
 */

import { parseOriginPattern, type OriginPattern } from '../../config/origin-pattern.js'

export class OriginPolicy {
  readonly #patterns: OriginPattern[]

  constructor(entries: readonly string[]) {
    this.#patterns = entries.map((entry) => {
      const pattern = parseOriginPattern(entry)
      if (!pattern) throw new Error(`invalid origin pattern ${JSON.stringify(entry)}`)
      return pattern
    })
  }

  /** True when no list is configured: any origin may connect. */
  get open(): boolean {
    return this.#patterns.length === 0
  }

  /** Whether an upgrade with this Origin header (undefined when absent) may proceed. */
  allows(origin: string | undefined): boolean {
    if (origin === undefined || this.open) return true
    let url: URL
    try {
      url = new URL(origin)
    } catch {
      return false // "null" (sandboxed frames, file: pages) and garbage
    }
    if (url.hostname === '') return false
    const host = url.hostname
    return this.#patterns.some(
      (p) =>
        p.protocol === url.protocol &&
        p.port === url.port &&
        (p.wildcard ? host.length > p.host.length + 1 && host.endsWith(`.${p.host}`) : host === p.host),
    )
  }
}
