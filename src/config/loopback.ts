import net from 'node:net'

/** Whether a host reaches only this machine: 127.0.0.0/8, ::1, 127.0.0.0/8 mapped into IPv6, or localhost. */
export function isLoopbackHost(host: string): boolean {
  const name = host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1')
  if (name === 'localhost' || name.endsWith('.localhost')) return true
  const v4 = name.startsWith('::ffff:') ? name.slice('::ffff:'.length) : name
  if (net.isIPv4(v4)) return v4.startsWith('127.')
  if (!net.isIPv6(name)) return false
  return LOOPBACK_V6.check(name, 'ipv6')
}

/** ::1, and 127.0.0.0/8 mapped into IPv6 as a URL prints it (::ffff:7f00:1). */
const LOOPBACK_V6 = new net.BlockList()
LOOPBACK_V6.addAddress('::1', 'ipv6')
LOOPBACK_V6.addSubnet('::ffff:7f00:0', 104, 'ipv6')
