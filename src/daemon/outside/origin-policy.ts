/**
 * outside.allowed_origins: which web pages may open a WebSocket to the outside
 * port. Browsers always send `Origin` on a WebSocket upgrade, so the check
 * stops a page on another site from opening a socket with the visitor's
 * cookies (cross-site WebSocket hijacking). Clients that are not browsers
 * (the seed's PHP test client, backends, phones' native apps) send no Origin
 * and are not concerned.
 */

export interface OriginPattern {
  /** `https:`, `http:`, … as URL reports it. */
  protocol: string
  /** Lower-case host (punycode for IDNs); for a wildcard, the parent domain. */
  host: string
  /** '' for the scheme's default port, as URL reports it. */
  port: string
  /** `https://*.example.com`: any subdomain of `host`, at any depth, but not `host` itself. */
  wildcard: boolean
}

const ENTRY = /^([a-z][a-z0-9+.-]*):\/\/(\*\.)?([^/?#@\s*]+)$/i

/** Parses one allowed_origins entry; undefined when it is not scheme://host[:port] or scheme://*.host[:port]. */
export function parseOriginPattern(entry: string): OriginPattern | undefined {
  const match = ENTRY.exec(entry.trim())
  if (!match) return undefined
  const [, scheme = '', star, rest = ''] = match
  let url: URL
  try {
    url = new URL(`${scheme}://${rest}`)
  } catch {
    return undefined
  }
  // The URL parser accepts paths and credentials the regex already kept out; an
  // empty host (file://) cannot be an origin.
  if (url.hostname === '' || url.username !== '' || url.password !== '') return undefined
  if (star !== undefined && url.hostname.startsWith('[')) return undefined
  return { protocol: url.protocol, host: url.hostname, port: url.port, wildcard: star !== undefined }
}

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
