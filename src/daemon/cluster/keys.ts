/**
 * mswoole's own keys in the store (all under cache.json's prefix; names starting
 * with "@" are never a controller's). Store-relative: the store adds the prefix.
 */
export const clusterKeys = {
  /** A node's heartbeat: its instance, refreshed well within setting.node_timeout. */
  heartbeat: (node: string) => `@node:${node}`,
  /** The ids of the nodes that have joined and not yet left or been swept. */
  nodes: '@nodes',
  /** A node's connections: a hash of fd → DirectoryEntry (JSON). */
  connections: (node: string) => `@conns:${node}`,
  /** Held while a node's entries are being removed or rewritten, so that happens once at a time. */
  sweepLock: (node: string) => `@sweep:${node}`,
  /** Each node's summary (NodeSummary as JSON), written at its heartbeat. */
  nodeInfo: '@nodeinfo',
  /** The connections bound to a uid (their connection ids). */
  uid: (uid: string) => `@uid:${uid}`,
  /**
   * A presence room's uids (app.json `presence`): a hash of uid → its connections
   * in the room on every node. The braces keep it in one slot of a Redis Cluster
   * with the node counts below, so one script changes both.
   */
  presence: (room: string) => `@presence:{${room}}`,
  /** One node's share of a presence room: a hash of uid → its connections in the room on that node. */
  nodePresence: (room: string, node: string) => `@presence:{${room}}:${node}`,
  /** The presence rooms where a node may hold a share, so a sweep finds them once the node is gone. */
  presenceRooms: (node: string) => `@presence-rooms:${node}`,
}

/** Pub/sub channels; Redis does not prefix them, so the store prefix is added here. */
export function clusterChannels(prefix: string) {
  return {
    /** Room sends and broadcasts: every node hears them and delivers to its own members. */
    bus: `${prefix}@bus`,
    /** Sends and kicks for one node's connections. */
    node: (node: string) => `${prefix}@to:${node}`,
  }
}
