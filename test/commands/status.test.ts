import { describe, expect, it } from 'vitest'
import type { StatusResult } from '../../src/contracts/control-api.js'
import { useProjects, useSharedDaemon, cli, cliJson } from '../helpers/cli.js'
import { clientUrl, connect } from '../helpers/ws-client.js'

const makeOne = useProjects()
const project = (app: Record<string, unknown> = {}) => makeOne({ node_id: 'node-a', ...app })

describe('mswoole status, with a daemon running', () => {
  // One daemon of two workers for both tests: the table's test opens no connection, so the
  // JSON test's count of one is its own.
  const daemon = useSharedDaemon({ node_id: 'node-a', setting: { worker_num: 2 } })

  it('reports a running daemon as JSON', async () => {
    const { project: p, status: started } = daemon()
    const ws = await connect(await clientUrl(started.outside.port))
    // -o shapes the table only: the JSON is the same.
    const { exitCode, json } = await cliJson<StatusResult>(p, ['status', '-o', 'wide'])
    expect(exitCode).toBe(0)
    expect(json).toMatchObject({
      running: true,
      pid: started.pid,
      nodeId: 'node-a',
      connections: 1,
      outside: started.outside,
      manager: started.manager,
    })
    expect(json.uptime).toBeGreaterThanOrEqual(0)
    expect(json.version).toMatch(/^\d+\.\d+\.\d+/)
    expect(json.memory.rss).toBeGreaterThan(0)
    // Two worker threads of generation 1, each reporting its own heap.
    expect(json.generation).toBe(1)
    expect(json.workers).toHaveLength(2)
    for (const worker of json.workers) {
      expect(worker).toMatchObject({ generation: 1, pid: started.pid, inFlight: 0 })
      expect(worker.threadId).toBeGreaterThan(0)
      expect(worker.memory).toBeGreaterThan(0)
    }
    ws.close()
  })

  it('shows key: value lines, then the workers as columns', async () => {
    const { project: p, status: started } = daemon()
    const result = await cli(p, ['status'])
    expect(result.exitCode).toBe(0)
    const [facts = '', workers = ''] = result.stdout.trimEnd().split('\n\n')
    const lines = facts.split('\n')
    expect(lines.map((line) => line.slice(0, line.indexOf(':')))).toEqual([
      'state',
      'pid',
      'uptime',
      'version',
      'node id',
      'cluster',
      'outside',
      'manager',
      'connections',
      'workers',
      'memory',
      'log file',
    ])
    // The values line up after the longest key.
    expect(new Set(lines.map((line) => line.search(/(?<=:\s+)\S/))).size).toBe(1)
    expect(lines).toContain(`pid:          ${started.pid}`)
    expect(lines).toContain('state:        running')
    const [head, ...rows] = workers.split('\n')
    expect(head).toMatch(/^WORKER\s+THREAD\s+GENERATION\s+HANDLED\s+IN FLIGHT\s+MEMORY$/)
    expect(rows).toHaveLength(2)
    for (const row of rows) expect(row).toMatch(/^\d+\s+\d+\s+1\s+\d+\s+\d+\s+([\d.]+ [KMG]iB|-)$/)
  })
})

describe('mswoole status, without a daemon', () => {
  it('exits 3 when the daemon is not running', async () => {
    const p = await project()
    const human = await cli(p, ['status'])
    expect(human.exitCode).toBe(3)
    expect(human.stdout).toContain('not running')
    const machine = await cliJson<{ running: boolean }>(p, ['status'])
    expect(machine.exitCode).toBe(3)
    expect(machine.json.running).toBe(false)
  })

  it('fails with one line and a JSON error when the config folder is missing', async () => {
    const p = await project()
    await p.remove()
    const result = await cliJson<{ error: { code: string } }>(p, ['status'])
    expect(result.exitCode).toBe(1)
    expect(result.json.error.code).toBe('MSW_ERR_CONFIG_NOT_FOUND')
    expect(result.stderr.trim().split('\n')).toHaveLength(1)
  })
})
