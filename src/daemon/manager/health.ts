import type { Logger } from 'pino'
import { MswError } from '../../errors.js'
import type { Store } from '../store/store.js'

/** How long the store may take to answer a health check's ping. */
export const STORE_PING_TIMEOUT_MS = 1000

export interface Health {
  status: 'ok' | 'degraded'
  store: 'ok' | 'unreachable'
  storeKind: Store['kind']
  /** In a cluster: "degraded" until this node is subscribed and its entries rewritten after Redis was away. */
  cluster?: 'ok' | 'degraded'
  connections: number
}

export interface HealthSources {
  store: Pick<Store, 'ping' | 'kind'>
  cluster?: (() => 'ok' | 'degraded') | undefined
  connections(): number
  logger: Logger
}

/**
 * GET /healthz: answers without the key, so what it says stays coarse; why the
 * store is unreachable goes to the log (once per change), not to the caller.
 */
export function createHealthCheck(sources: HealthSources): () => Promise<Health> {
  let wasHealthy = true
  return async () => {
    const failure = await pingWithin(sources.store, STORE_PING_TIMEOUT_MS)
    const healthy = failure === undefined
    if (!healthy && wasHealthy) sources.logger.warn({ err: failure }, 'health check: the store is unreachable')
    if (healthy && !wasHealthy) sources.logger.info('health check: the store answers again')
    wasHealthy = healthy
    const cluster = sources.cluster?.()
    return {
      status: healthy && cluster !== 'degraded' ? 'ok' : 'degraded',
      store: healthy ? 'ok' : 'unreachable',
      storeKind: sources.store.kind,
      ...(cluster === undefined ? {} : { cluster }),
      connections: sources.connections(),
    }
  }
}

/** Undefined when the store answered in time, else why not. */
async function pingWithin(store: Pick<Store, 'ping'>, timeoutMs: number): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new MswError('MSW_ERR_STORE_UNAVAILABLE', `the store did not answer a ping within ${timeoutMs} ms`)),
      timeoutMs,
    )
  })
  try {
    await Promise.race([store.ping(), timeout])
    return undefined
  } catch (err) {
    return err
  } finally {
    clearTimeout(timer)
  }
}
