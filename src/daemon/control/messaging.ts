import { MswError } from '../../errors.js'
import type { DeliveryResult, ParsedParamsOf } from '../../ipc/methods.js'
import { envelope } from '../../protocol/envelope.js'
import type { Delivery } from '../delivery/delivery.js'
import type { DaemonStats } from '../stats.js'
import type { ConnectionRegistry } from '../connections/registry.js'
import { openConnection } from './connections.js'

export interface MessagingDeps {
  registry: ConnectionRegistry
  delivery: Delivery
  stats: DaemonStats
}

/** `broadcast`: one envelope, framed once, to a room or to every connection. */
export async function broadcast(deps: MessagingDeps, params: ParsedParamsOf<'broadcast'>): Promise<DeliveryResult> {
  const message = envelope(params.status, params.event, params.info, params.param)
  const delivered = params.room === undefined ? deps.delivery.toAll(message, params.except) : await deps.delivery.toRoom(params.room, message, params.except)
  deps.stats.broadcasts++
  return { delivered }
}

/** `push`: one envelope to an fd or to every connection of a uid; reaching nobody is an error. */
export async function push(deps: MessagingDeps, params: ParsedParamsOf<'push'>): Promise<DeliveryResult> {
  const message = envelope(params.status, params.event, params.info, params.param)
  let delivered = 0
  // The schema lets exactly one of fd and uid through.
  if (params.fd !== undefined) {
    delivered = deps.delivery.write(openConnection(deps.registry, params.fd), message) ? 1 : 0
  } else if (params.uid !== undefined) {
    delivered = await deps.delivery.toUid(params.uid, message)
    if (delivered === 0) throw new MswError('MSW_ERR_CONN_NOT_FOUND', `no connection for uid ${params.uid}`, { details: { uid: params.uid } })
  }
  deps.stats.pushes++
  return { delivered }
}
