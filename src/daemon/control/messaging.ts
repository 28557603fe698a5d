import { MswError } from '../../errors.js'
import type { DeliveryResult, ParsedParamsOf } from '../../contracts/control-api.js'
import { envelope } from '../../protocol/envelope.js'
import type { ClusterDelivery } from '../cluster/cluster-delivery.js'
import type { DaemonStats } from '../stats.js'
import type { Store } from '../store/store.js'
import { clusterKeys } from '../cluster/keys.js'

export interface MessagingDeps {
  clusterDelivery: ClusterDelivery
  store: Store
  stats: DaemonStats
}

/** `broadcast`: one envelope, framed once per node, to a room or to every connection of the cluster. */
export async function broadcast(deps: MessagingDeps, params: ParsedParamsOf<'broadcast'>): Promise<DeliveryResult> {
  const message = envelope(params.status, params.event, params.info, params.param)
  const sent =
    params.room === undefined
      ? await deps.clusterDelivery.toAll(message, params.except)
      : await deps.clusterDelivery.toRoom(params.room, message, params.except)
  deps.stats.broadcasts++
  return sent
}

/** `push`: one envelope to a connection or to every connection of a uid, wherever they are; reaching nobody is an error. */
export async function push(deps: MessagingDeps, params: ParsedParamsOf<'push'>): Promise<DeliveryResult> {
  const message = envelope(params.status, params.event, params.info, params.param)
  let sent: DeliveryResult = { delivered: 0, nodes: 0 }
  // The schema lets exactly one of fd and uid through.
  if (params.fd !== undefined) {
    sent = await deps.clusterDelivery.toConnection(params.fd.node, params.fd.fd, message)
  } else if (params.uid !== undefined) {
    const uid = params.uid
    sent = await deps.clusterDelivery.toUid(uid, message)
    // Nobody here: the uid's set in the store says whether anyone is bound elsewhere.
    if (sent.delivered === 0 && (sent.nodes === 0 || (await deps.store.scard(clusterKeys.uid(uid))) === 0)) {
      throw new MswError('MSW_ERR_CONN_NOT_FOUND', `no connection for uid ${uid}`, { details: { uid } })
    }
  }
  deps.stats.pushes++
  return sent
}
