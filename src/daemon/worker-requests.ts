import type { Logger } from 'pino'
import { MswError } from '../errors.js'
import type { FromWorker } from '../contracts/thread-channel.js'
import { createAppCalls } from './app-calls.js'
import type { Router } from './cluster/router.js'
import type { Delivery } from './delivery/delivery.js'
import type { AppCallDeps } from './app-calls.js'
import type { PoolWorker, WorkerPool } from './workers/pool.js'

/**
 * Carries out what workers ask for. Each request is started the moment it
 * arrives, so a worker's join followed by a send to that room happen in order.
 */
export function createWorkerBridge(deps: AppCallDeps & { delivery: Delivery; router: Router; logger: Logger }) {
  const calls = createAppCalls(deps)
  const { delivery, router, logger } = deps
  const failed = (err: unknown) => logger.error({ err }, 'delivery failed')
  return (message: FromWorker, worker: PoolWorker, pool: WorkerPool): void => {
    switch (message.t) {
      case 'send':
        if (message.to === 'fd') delivery.toFd(Number(message.target), message.frame)
        else if (message.to === 'room') router.toRoom(String(message.target), message.frame, message.except).catch(failed)
        else router.toUid(String(message.target), message.frame).catch(failed)
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
            const error =
              err instanceof MswError ? { code: err.code, message: err.message } : { code: 'MSW_ERR_INTERNAL', message: 'internal error' }
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
        // The pool answers ready, loadError and stats itself; anything else is a message this master does not know.
        logger.error({ type: message.t, worker: worker.id }, 'unknown message from a worker')
        return
    }
  }
}
