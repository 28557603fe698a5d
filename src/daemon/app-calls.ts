import { isStoreMethod } from '../app-api/store-methods.js'
import { MswError } from '../errors.js'
import type { AppCallName, AppCalls } from '../worker/protocol.js'
import type { ConnectionRegistry } from './connections/registry.js'
import { uidKey } from './delivery/delivery.js'
import type { Store } from './store/store.js'

type Handlers = { [K in AppCallName]: (...args: AppCalls[K]) => unknown }

/**
 * Carries out what a worker's App asks for. Operations on an fd that has
 * already closed do nothing, so a late join cannot leave a dead member behind.
 */
export function createAppCalls(registry: ConnectionRegistry, store: Store): Handlers {
  const open = (fd: number) => {
    const connection = registry.get(fd)
    return connection?.state === 'open' ? connection : undefined
  }
  return {
    join: async (fd, room) => {
      const connection = open(fd)
      if (!connection) return
      connection.closeKeys.add(room)
      await store.sadd(room, String(fd))
    },
    leave: async (fd, room) => {
      open(fd)?.closeKeys.delete(room)
      await store.srem(room, String(fd))
    },
    members: async (room) => (await store.smembers(room)).map(Number),
    count: (room) => store.scard(room),
    closeKeyAdd: (fd, key) => void open(fd)?.closeKeys.add(key),
    closeKeyRemove: (fd, key) => void open(fd)?.closeKeys.delete(key),
    controllerAdd: (fd, controller) => {
      const connection = open(fd)
      if (connection) (connection.controllers ??= new Set()).add(controller)
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
      connection.uids.add(uid)
      await store.sadd(uidKey(uid), String(fd))
    },
    unbindUid: async (fd, uid) => {
      open(fd)?.uids.delete(uid)
      await store.srem(uidKey(uid), String(fd))
    },
    uidFds: async (uid) => (await store.smembers(uidKey(uid))).map(Number),
    store: (method, args) => {
      if (!isStoreMethod(method)) throw new MswError('MSW_ERR_INVALID_ARGUMENT', `store has no method "${method}"`)
      const fn = store[method] as (...a: unknown[]) => Promise<unknown>
      return fn.apply(store, args)
    },
  }
}
