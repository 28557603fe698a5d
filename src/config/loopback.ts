import net from 'node:net'

/** Whether a listen host reaches only this machine: 127.0.0.0/8, ::1 (also IPv4-mapped) or localhost. */
export function isLoopbackHost(host: string): boolean {
  const name = host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1')
  if (name === 'localhost' || name.endsWith('.localhost')) return true
  const v4 = name.startsWith('::ffff:') ? name.slice('::ffff:'.length) : name
  if (net.isIPv4(v4)) return v4.startsWith('127.')
  if (!net.isIPv6(name)) return false
  const list = new net.BlockList()
  list.addAddress('::1', 'ipv6')
  return list.check(name, 'ipv6')
}
