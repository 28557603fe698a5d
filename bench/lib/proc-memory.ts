/**
 * Memory and sockets of a process as Linux reports them in /proc, without asking the process:
 * its resident set (all threads share one), and the TCP connections a server port holds.
 * Elsewhere every figure here is undefined.
 */
import { readFileSync } from 'node:fs'

/** VmRSS of a process in bytes (every thread included: they share one address space); undefined if it is gone. */
export function rssBytes(pid: number): number | undefined {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('VmRSS:'))
    // "VmRSS:	  123456 kB"
    const kib = line === undefined ? Number.NaN : Number.parseInt(line.slice(6).trim(), 10)
    return Number.isFinite(kib) ? kib * 1024 : undefined
  } catch {
    return undefined
  }
}

/** /proc/net/tcp socket states. */
const ESTABLISHED = '01'
const LISTEN = '0A'

interface TcpRow {
  /** Dotted IPv4. */
  localAddress: string
  localPort: number
  state: string
  inode: string
}

function tcpRows(): TcpRow[] | undefined {
  let text: string
  try {
    text = readFileSync('/proc/net/tcp', 'utf8')
  } catch {
    return undefined
  }
  const rows: TcpRow[] = []
  for (const line of text.split('\n').slice(1)) {
    // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode …
    const f = line.trim().split(/\s+/)
    const local = f[1]
    if (local === undefined || f[3] === undefined || f[9] === undefined) continue
    const colon = local.indexOf(':')
    // The address is the four bytes in host (little-endian) order: 0100007F is 127.0.0.1.
    const hex = local.slice(0, colon)
    const localAddress = [6, 4, 2, 0].map((i) => Number.parseInt(hex.slice(i, i + 2), 16)).join('.')
    rows.push({ localAddress, localPort: Number.parseInt(local.slice(colon + 1), 16), state: f[3], inode: f[9] })
  }
  return rows
}

/**
 * Established IPv4 connections whose local end is `address`:`port`: what a server listening
 * there holds (a client socket elsewhere on 127.0.0.x may have the same port number).
 */
export function establishedOn(address: string, port: number): number | undefined {
  return tcpRows()?.filter((r) => r.localPort === port && r.localAddress === address && r.state === ESTABLISHED).length
}

/** The socket inode listening on IPv4 `address`:`port`, undefined when nothing listens there (or /proc is absent). */
export function listenerInode(address: string, port: number): string | undefined {
  return tcpRows()?.find((r) => r.localPort === port && r.state === LISTEN && (r.localAddress === address || r.localAddress === '0.0.0.0'))
    ?.inode
}
