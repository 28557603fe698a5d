import { pino } from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import type { Handlers } from '../../../src/ipc/dispatch.js'
import { listenManager, type ManagerServer } from '../../../src/daemon/manager/server.js'
import { DaemonStats } from '../../../src/daemon/stats.js'
import { MemoryStore } from '../../../src/daemon/store/memory-store.js'
import type { Store } from '../../../src/daemon/store/store.js'

// /healthz only pings the store: no control method is called here.
const noHandlers = new Proxy({} as Handlers, {
  get: () => () => Promise.reject(new Error('no control method in this test')),
})

const servers: ManagerServer[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()))
})

/** The manager alone, in this process, over the given store. */
async function managerOver(store: Pick<Store, 'ping' | 'kind'>): Promise<string> {
  const server = await listenManager({
    host: '127.0.0.1',
    port: 0,
    key: 'health-key',
    handlers: noHandlers,
    store,
    connections: () => 0,
    rooms: () => 0,
    stats: new DaemonStats(),
    logger: pino({ level: 'silent' }),
  })
  servers.push(server)
  return `http://127.0.0.1:${server.address.port}/healthz`
}

describe('GET /healthz', () => {
  it('answers 200 ok while the store answers, without the key', async () => {
    const store = new MemoryStore()
    const res = await fetch(await managerOver(store))
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ status: 'ok', store: 'ok', storeKind: 'memory', connections: 0 })
    await store.close()
  })

  it('answers 503 degraded when the store refuses its ping', async () => {
    const store = new MemoryStore()
    await store.close()
    const res = await fetch(await managerOver(store))
    expect(res.status).toBe(503)
    expect(await res.json()).toMatchObject({ status: 'degraded', store: 'unreachable' })
  })

  it('answers 503 degraded when the store does not answer its ping in time', async () => {
    const silent: Pick<Store, 'ping' | 'kind'> = { kind: 'redis', ping: () => new Promise(() => undefined) }
    const res = await fetch(await managerOver(silent))
    expect(res.status).toBe(503)
    expect(await res.json()).toMatchObject({ status: 'degraded', store: 'unreachable', storeKind: 'redis' })
  })
})
