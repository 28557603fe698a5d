import net from 'node:net'
import type { IncomingMessage } from 'node:http'
import { isLoopbackHost } from '../../config/loopback.js'
import { OriginPolicy } from '../outside/origin-policy.js'
import { fromOwnOrigin } from './dashboard.js'
import { HttpError } from './http-error.js'

export interface RequestGuardOptions {
  /** manager.host: accepted in a Host header when it is a concrete address or name. */
  host: string
  /** manager.allowed_hosts: further names or addresses a Host header may carry. */
  allowedHosts: readonly string[]
  /** manager.allowed_origins: browser pages that may call the manager; none by default. */
  allowedOrigins: readonly string[]
}

/**
 * Throws the refusal of a request (HTTP or WebSocket upgrade) that may not reach the manager at all;
 * `ownOrigin` lets the manager's own origin through (the dashboard page's HTTP calls).
 */
export type RequestGuard = (req: IncomingMessage, ownOrigin?: boolean) => void

/**
 * What the manager checks before the key and before routing, in every mode:
 * - `Host` must name this machine (loopback, manager.host, or manager.allowed_hosts):
 *   a page that rebinds its own name to 127.0.0.1 still sends its own name (DNS rebinding).
 * - A request with `Origin` comes from a browser page; only the listed origins may
 *   call. Backends, curl and the seed's console send no Origin and are not concerned.
 */
export function createRequestGuard(options: RequestGuardOptions): RequestGuard {
  const hosts = new Set(options.allowedHosts.map(hostName))
  const own = hostName(options.host)
  if (own !== '' && !isWildcard(own)) hosts.add(own)
  const origins = new OriginPolicy(options.allowedOrigins)
  return (req, ownOrigin = false) => {
    // No Host at all is HTTP/1.0 from a program; every browser sends one.
    const name = req.headers.host === undefined ? undefined : hostName(req.headers.host)
    if (name !== undefined && !isLoopbackName(name) && !hosts.has(name)) {
      throw new HttpError(
        421,
        'MSW_ERR_MANAGER_HOST',
        'the Host header names no address of the manager port: use 127.0.0.1, localhost, or a name in manager.allowed_hosts',
      )
    }
    const origin = req.headers.origin
    if (origin !== undefined && !(ownOrigin && fromOwnOrigin(req)) && (origins.open || !origins.allows(origin))) {
      throw new HttpError(
        403,
        'MSW_ERR_MANAGER_ORIGIN',
        'browser pages may not call the manager port unless their origin is in manager.allowed_origins',
      )
    }
  }
}

/** The name or address of a Host header, without its port or IPv6 brackets, lower-cased. */
function hostName(header: string): string {
  const value = header.trim().toLowerCase()
  if (value.startsWith('[')) {
    const end = value.indexOf(']')
    return end === -1 ? value : value.slice(1, end)
  }
  // An IPv6 address without brackets has no port that can be told apart.
  if (net.isIPv6(value)) return value
  const colon = value.lastIndexOf(':')
  return (colon === -1 ? value : value.slice(0, colon)).replace(/\.$/, '')
}

/** 127.0.0.0/8, ::1 and `localhost` itself (not `*.localhost`: a name is only trusted when listed). */
function isLoopbackName(name: string): boolean {
  return name === 'localhost' || (net.isIP(name.replace(/^::ffff:/, '')) !== 0 && isLoopbackHost(name))
}

function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '::0'
}
