/**
 * A connection's id across the cluster: "<node id>:<fd>", e.g. "web-1-20000:17".
 * fds are small integers that each node hands out from 1; the node id (letters,
 * digits, ".", "_", "-": never a colon) makes them unique across nodes.
 */
export function connectionId(node: string, fd: number): string {
  return `${node}:${fd}`
}

export interface ConnectionRef {
  node: string
  fd: number
}

/** The node and fd of a connection id, or undefined when `id` is not one. */
export function parseConnectionId(id: string): ConnectionRef | undefined {
  const colon = id.lastIndexOf(':')
  if (colon <= 0) return undefined
  const fd = Number(id.slice(colon + 1))
  if (!Number.isSafeInteger(fd) || fd <= 0 || !/^\d+$/.test(id.slice(colon + 1))) return undefined
  return { node: id.slice(0, colon), fd }
}
