/**
 * A connection's id across the cluster: "<node id>:<fd>", e.g. "web-1-20000:17".
 * fds are small integers that each node hands out from 1; the node id (letters,
 * digits, ".", "_", "-": never a colon) makes them unique across nodes.
 * The daemon, the control API's schemas and the CLI all read it through here.
 */
export function connectionId(node: string, fd: number): string {
  return `${node}:${fd}`
}

/** A connection id as text: a node id, a colon, and an fd of at most 15 digits (a safe integer). */
export const CONNECTION_ID = /^([A-Za-z0-9._-]+):([1-9]\d{0,14})$/

export interface ConnectionRef {
  node: string
  fd: number
}

/** The node and fd of a connection id, or undefined when `id` is not one. */
export function parseConnectionId(id: string): ConnectionRef | undefined {
  const match = CONNECTION_ID.exec(id)
  return match === null ? undefined : { node: match[1] as string, fd: Number(match[2]) }
}
