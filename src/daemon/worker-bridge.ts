import type { Logger } from 'pino'
import { MswError } from '../errors.js'
import type { FromWorker } from '../worker/protocol.js'
import { createAppCalls } from './app-calls.js'
import type { ConnectionRegistry } from './connections/registry.js'
import type { Delivery } from './delivery/delivery.js'
import type { Store } from './store/store.js'
import type { PoolWorker, WorkerPool } from './workers/pool.js'

/**
 * Carries out what workers ask for. Each request is started the moment it
 * arrives, so a worker's join followed by a send to that room happen in order.
 */
export function createWorkerBridge(deps: { registry: ConnectionRegistry; store: Store; delivery: Delivery; logger: Logger }) {
  const calls = createAppCalls(deps.registry, deps.store)
  const { delivery, logger } = deps
  const failed = (err: unknown) => logger.error({ err }, 'delivery failed')
  return (message: FromWorker, worker: PoolWorker, pool: WorkerPool): void => {
    switch (message.t) {
      case 'send':
        if (message.to === 'fd') delivery.toFd(Number(message.target), message.frame)
        else if (message.to === 'room') delivery.toRoom(String(message.target), message.frame, message.except).catch(failed)
        else delivery.toUid(String(message.target), message.frame).catch(failed)
        return
      case 'call': {
        const { id, name, args } = message
        let result: unknown
        try {
          result = (calls[name] as (...a: unknown[]) => unknown)(...args)
        } catch (err) {
          result = Promise.reject(err)
        }
        Promise.resolve(result).then(
          (value) => id !== undefined && pool.answer(worker, id, { value }),
          (err: unknown) => {
            const error = err instanceof MswError ? { code: err.code, message: err.message } : { code: 'MSW_ERR_INTERNAL', message: 'internal error' }
            if (!(err instanceof MswError)) logger.error({ err, call: name }, 'app call failed')
            if (id !== undefined) pool.answer(worker, id, { error })
          },
        )
        return
      }
      case 'done':
        pool.finished(worker, message.seq)
        return
      case 'log':
        logger[message.level]({ ...message.fields, worker: worker.id }, message.msg)
        return
      default:
        return
    }
  }
}
