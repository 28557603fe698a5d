import type { Logger } from 'pino'
import { MswError } from '../errors.js'
import { type AppCallDeps, createAppCalls } from './app-calls.js'
import type { Delivery } from './clients/delivery.js'
import { wireFrames } from './clients/frames.js'
import type { ClusterDelivery } from './cluster/cluster-delivery.js'
import type { WorkerRequests } from './pool/pool.js'

/**
 * Carries out what workers ask for: acks, sends, App calls and log lines. Each is
 * started the moment it arrives, so a worker's join followed by a send to
 * that room happen in order.
 */
export function createWorkerRequests(
  deps: AppCallDeps & { delivery: Delivery; clusterDelivery: ClusterDelivery; logger: Logger },
): WorkerRequests {
  const calls = createAppCalls(deps)
  const { delivery, clusterDelivery, logger } = deps
  const failed = (err: unknown) => logger.error({ err }, 'delivery failed')
  return {
    ack(fd) {
      delivery.toFd(fd, wireFrames().ack)
    },
    send(message) {
      if (message.to === 'fd') delivery.toFd(Number(message.target), message.frame)
      else if (message.to === 'room') clusterDelivery.toRoom(String(message.target), message.frame, message.except).catch(failed)
      else clusterDelivery.toUid(String(message.target), message.frame).catch(failed)
    },
    call({ name, args }, respond) {
      let result: unknown
      try {
        result = (calls[name] as (...a: unknown[]) => unknown)(...args)
      } catch (err) {
        result = Promise.reject(err)
      }
      Promise.resolve(result).then(
        (value) => respond({ value }),
        (err: unknown) => {
          if (err instanceof MswError) return respond({ error: { code: err.code, message: err.message } })
          logger.error({ err, call: name }, 'app call failed')
          respond({ error: { code: 'MSW_ERR_INTERNAL', message: 'internal error' } })
        },
      )
    },
    log(message, workerId) {
      logger[message.level]({ ...message.fields, worker: workerId }, message.msg)
    },
  }
}
