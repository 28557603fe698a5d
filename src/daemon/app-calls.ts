import { isStoreMethod } from '../app-api/store-methods.js'
import { MswError } from '../errors.js'
import type { AppCallName, AppCalls } from '../contracts/thread-channel.js'
import type { Presence } from './cluster/presence.js'
import type { LocalIndex } from './clients/local-index.js'
import type { ConnectionRegistry } from './clients/registry.js'
import type { Store } from './store/store.js'

type Handlers = { [K in AppCallName]: (...args: AppCalls[K]) => unknown }

export interface AppCallDeps {
  registry: ConnectionRegistry
  index: LocalIndex
  presence: Presence
  store: Store
}

/**
 * Carries out what a worker's App asks for. Operations on an fd that has
 * already closed do nothing, so a late join cannot leave a dead member behind.
 * Rooms and uids change in this node's index at once (sends read it) and in
 * the store (counts and the cluster read it) before the call answers.
 */
export function createAppCalls({ registry, index, presence, store }: AppCallDeps): Handlers {
  const open = (fd: number) => {
    const connection = registry.get(fd)
    return connection?.state === 'open' ? connection : undefined
  }
  const fds = (members: Iterable<{ fd: number }>) => [...members].map((c) => c.fd).sort((a, b) => a - b)
  return {
    join: async (fd, room) => {
      const connection = open(fd)
      if (!connection) return
      const entered = index.join(connection, room)
      await presence.joined(connection, room, entered)
    },
    leave: async (fd, room) => {
      const connection = open(fd)
      if (!connection) return
      const wasIn = index.leave(connection, room)
      await presence.left(connection, room, wasIn)
    },
    members: (room) => fds(index.room(room)),
    count: (room) => store.scard(room),
    presence: (room) => presence.read(room),
    closeKeyAdd: (fd, key) => {
      const connection = open(fd)
      if (connection && index.join(connection, key)) presence.roomsChanged(connection, key, true)
    },
    closeKeyRemove: (fd, key) => {
      const connection = open(fd)
      if (connection && index.leave(connection, key)) presence.roomsChanged(connection, key, false)
    },
    controllerAdd: (fd, controller) => {
      const connection = open(fd)
      if (!connection) return
      connection.controllers ??= new Set()
      connection.controllers.add(controller)
    },
    controllerRemove: (fd, controller) => void open(fd)?.controllers?.delete(controller),
    sessionGet: (fd) => ({ ...registry.get(fd)?.session }),
    sessionSet: (fd, values) => {
      const connection = open(fd)
      if (connection) connection.session = { ...connection.session, ...values }
    },
    bindUid: async (fd, uid) => {
      const connection = open(fd)
      if (!connection) return
      const bound = index.bindUid(connection, uid)
      await presence.uidBound(connection, uid, bound)
    },
    unbindUid: async (fd, uid) => {
      const connection = open(fd)
      if (!connection) return
      const wasBound = index.unbindUid(connection, uid)
      await presence.uidUnbound(connection, uid, wasBound)
    },
    uidFds: (uid) => fds(index.uid(uid)),
    store: (method, args) => {
      if (!isStoreMethod(method)) throw new MswError('MSW_ERR_INVALID_ARGUMENT', `store has no method "${method}"`)
      const fn = store[method] as (...a: unknown[]) => Promise<unknown>
      return fn.apply(store, args)
    },
  }
}
