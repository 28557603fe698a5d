/** One entry of an allowed_origins list (outside and manager ports), as the config loader checks it and the daemon matches it. */
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
