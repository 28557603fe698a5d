import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { StatusResult } from '../../src/contracts/control-api.js'
import { cleanupProject, cliJson, startDaemon } from '../helpers/cli.js'
import { RawControl } from '../helpers/raw-control.js'
import { makeProject, type Project } from '../helpers/project.js'

interface RpcAnswer {
  jsonrpc: '2.0'
  id: string | number | null
  result?: Record<string, unknown>
  error?: { code: number; message: string; data?: { code: string } }
}

// One daemon for the whole file: every bad request below goes to the same
// process, and the last test checks that it survived them all.
let p: Project
let started: StatusResult
const open: RawControl[] = []
async function control(): Promise<RawControl> {
  const c = await RawControl.connect(p.socket)
  open.push(c)
  return c
}

beforeAll(async () => {
  p = await makeProject()
  started = await startDaemon(p)
})
afterAll(async () => {
  for (const c of open) c.close()
  await cleanupProject(p)
})

describe('control socket (JSON-RPC 2.0 over a Unix socket)', () => {
  it('answers a line that is not JSON with a parse error (-32700, id null)', async () => {
    const c = await control()
    const answer = (await c.send('this is {not json')) as RpcAnswer
    expect(answer).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32700, data: { code: 'MSW_ERR_RPC_PARSE' } } })
  })

  it('answers an unknown method with -32601 and MSW_ERR_RPC_METHOD_NOT_FOUND', async () => {
    const c = await control()
    const answer = (await c.send('{"jsonrpc":"2.0","id":1,"method":"nope"}')) as RpcAnswer
    expect(answer).toMatchObject({ jsonrpc: '2.0', id: 1, error: { code: -32601, data: { code: 'MSW_ERR_RPC_METHOD_NOT_FOUND' } } })
    expect(answer.error?.message).toContain('nope')
  })

  it('refuses invalid params with -32602 and does not act on them', async () => {
    const c = await control()
    const answer = (await c.send('{"jsonrpc":"2.0","id":2,"method":"stop","params":{"timeout":"x"}}')) as RpcAnswer
    expect(answer).toMatchObject({ id: 2, error: { code: -32602, data: { code: 'MSW_ERR_RPC_INVALID_PARAMS' } } })
    expect(answer.error?.message).toContain('timeout')
    // The same connection still works, and the refused stop did not start stopping.
    const status = (await c.send('{"jsonrpc":"2.0","id":3,"method":"status"}')) as RpcAnswer
    expect(status).toMatchObject({ id: 3, result: { running: true, state: 'running', pid: started.pid } })
  })

  it('answers a request without jsonrpc:"2.0" with -32600', async () => {
    const c = await control()
    const answer = (await c.send('{"id":4,"method":"status"}')) as RpcAnswer
    expect(answer).toMatchObject({ id: 4, error: { code: -32600, data: { code: 'MSW_ERR_RPC_INVALID_REQUEST' } } })
  })

  it('answers a batch with an array holding one answer per request, in order', async () => {
    const c = await control()
    const answer = (await c.send(
      '[{"jsonrpc":"2.0","id":"a","method":"status"},{"jsonrpc":"2.0","id":"b","method":"nope"}]',
    )) as RpcAnswer[]
    expect(Array.isArray(answer)).toBe(true)
    expect(answer).toHaveLength(2)
    expect(answer[0]).toMatchObject({ id: 'a', result: { pid: started.pid } })
    expect(answer[1]).toMatchObject({ id: 'b', error: { code: -32601 } })
  })

  it('does not answer a notification (a request without id), not even one that fails', async () => {
    const c = await control()
    // If a notification were answered, that answer would be the next line instead of id 5's.
    c.socket.write('{"jsonrpc":"2.0","method":"status"}\n')
    c.socket.write('{"jsonrpc":"2.0","method":"nope"}\n')
    c.socket.write('{"jsonrpc":"2.0","method":"push","params":{"fd":"x"}}\n')
    c.socket.write('{"jsonrpc":"2.0","method":"connections.kick","params":{"fd":999999}}\n')
    const answer = (await c.send('{"jsonrpc":"2.0","id":5,"method":"status"}')) as RpcAnswer
    expect(answer).toMatchObject({ id: 5, result: { pid: started.pid } })
  })

  it('refuses a line over 1 MiB with MSW_ERR_RPC_TOO_LARGE and closes the connection', async () => {
    const c = await control()
    const answer = JSON.parse(
      await new Promise<string>((resolve, reject) => {
        c.lines.next().then(resolve, reject)
        c.socket.write(Buffer.alloc(1024 * 1024 + 1, 'a'))
      }),
    ) as RpcAnswer
    expect(answer).toMatchObject({ id: null, error: { data: { code: 'MSW_ERR_RPC_TOO_LARGE' } } })
    await c.closed
    expect(c.socket.destroyed).toBe(true)
  })

  it('is still the same running daemon after all of that', async () => {
    const { exitCode, json } = await cliJson<StatusResult>(p, ['status'])
    expect(exitCode).toBe(0)
    expect(json).toMatchObject({ running: true, state: 'running', pid: started.pid })
  })
})
