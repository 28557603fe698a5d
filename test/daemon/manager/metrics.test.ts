import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { StatusResult } from '../../../src/contracts/control-api.js'
import { cleanupProject, cli, startDaemon } from '../../helpers/cli.js'
import { mintToken, TestClient } from '../../helpers/client.js'
import { makeProject, type Project } from '../../helpers/project.js'
import { managerOf, request, type ManagerTarget } from './manager-http.js'

const KEY = 'metrics-key'

let p: Project
let started: StatusResult
let manager: ManagerTarget

beforeAll(async () => {
  p = await makeProject({ manager: { key: KEY }, setting: { ack: false } })
  started = await startDaemon(p)
  manager = managerOf(started, KEY)
})
afterAll(() => cleanupProject(p))

/** The samples of a Prometheus text answer, by name (labels left out). */
async function scrape(): Promise<{ contentType: string | null; values: Map<string, number> }> {
  const answer = await request(manager, '/metrics')
  expect(answer.status).toBe(200)
  const values = new Map<string, number>()
  for (const line of answer.text.split('\n')) {
    const match = /^([a-z_:][a-z0-9_:]*)(?:\{[^}]*\})? (\S+)$/i.exec(line)
    if (match && !values.has(match[1]!)) values.set(match[1]!, Number(match[2]))
  }
  return { contentType: answer.headers.get('content-type'), values }
}

async function client(id: string, code: string): Promise<TestClient> {
  return TestClient.connect(`ws://127.0.0.1:${started.outside.port}/?auth=${await mintToken({ id, type: 'wechatUser', code })}`)
}

describe('GET /metrics', () => {
  it('serves Prometheus text with the gauges, the counters and the process metrics', async () => {
    const { contentType, values } = await scrape()
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/)
    for (const name of [
      'mswoole_connections',
      'mswoole_rooms',
      'mswoole_messages_in_total',
      'mswoole_messages_out_total',
      'mswoole_bytes_in_total',
      'mswoole_bytes_out_total',
      'mswoole_reloads_total',
      'mswoole_worker_restarts_total',
      'mswoole_broadcasts_total',
      'mswoole_pushes_total',
      'mswoole_kicks_total',
      'mswoole_slow_clients_dropped_total',
      'nodejs_eventloop_lag_seconds',
      'process_resident_memory_bytes',
    ]) {
      expect(values.has(name), name).toBe(true)
    }
  })

  it('counts a reload as a reload, not as workers restarted', async () => {
    const before = (await scrape()).values
    const reload = await cli(p, ['reload'])
    expect(reload.exitCode, reload.stderr).toBe(0)
    const after = (await scrape()).values
    expect(after.get('mswoole_reloads_total')! - before.get('mswoole_reloads_total')!).toBe(1)
    // The retired generation was ended on purpose; no worker died.
    expect(after.get('mswoole_worker_restarts_total')).toBe(before.get('mswoole_worker_restarts_total'))
  })

  it('moves as clients connect and exchange messages', async () => {
    const before = (await scrape()).values
    const a = await client('m1', 'metrics-room-a')
    const b = await client('m2', 'metrics-room-b')
    for (const c of [a, b]) {
      for (let i = 0; i < 3; i++) expect(await c.ask({ method: 'echo', i }, 'echo')).toMatchObject({ status: 200 })
    }
    const broadcast = await request(manager, '/api/broadcast', { json: { all: true, event: 'counted' } })
    expect(broadcast.status).toBe(200)
    await a.next('counted')
    await b.next('counted')

    const after = (await scrape()).values
    expect(after.get('mswoole_connections')).toBe(2)
    expect(after.get('mswoole_rooms')).toBeGreaterThanOrEqual(2)
    const grew = (name: string) => after.get(name)! - before.get(name)!
    expect(grew('mswoole_messages_in_total')).toBe(6)
    expect(grew('mswoole_messages_out_total')).toBeGreaterThanOrEqual(8)
    expect(grew('mswoole_bytes_in_total')).toBeGreaterThan(0)
    expect(grew('mswoole_bytes_out_total')).toBeGreaterThan(0)
    expect(grew('mswoole_broadcasts_total')).toBe(1)
    expect(grew('mswoole_connections_opened_total')).toBe(2)
    a.close()
    b.close()
  })
})
