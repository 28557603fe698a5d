import type { IncomingMessage } from 'node:http'

/** IPv4 peers on a dual-stack socket read as ::ffff:a.b.c.d; compare them as a.b.c.d. */
export function normalizeIp(ip: string): string {
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip
}

/** A request header's value; the first, when it came more than once. */
export function firstHeader(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name]
  return Array.isArray(value) ? value[0] : value
}

/**
 * The client's address. X-Real-IP and X-Forwarded-For are believed only when
 * the peer itself is a trusted proxy; otherwise any client could claim any address.
 */
export function clientIp(req: IncomingMessage, trusted: ReadonlySet<string>): string {
  const peer = normalizeIp(req.socket.remoteAddress ?? '')
  if (!trusted.has(peer)) return peer
  const real = firstHeader(req, 'x-real-ip')?.trim()
  if (real) return normalizeIp(real)
  const forwarded = firstHeader(req, 'x-forwarded-for')
  if (!forwarded) return peer
  const hops = forwarded
    .split(',')
    .map((hop) => normalizeIp(hop.trim()))
    .filter((hop) => hop !== '')
  // The right-most address that is not one of our proxies is the one that reached them.
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i]
    if (hop !== undefined && !trusted.has(hop)) return hop
  }
  return hops[0] ?? peer
}
