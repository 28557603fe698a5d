import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { withDaemon } from '../../src/ipc/client.js'
import type { StatusResult } from '../../src/contracts/control-api.js'
import { waitForExit } from '../../src/lifecycle/wait-exit.js'
import { useSharedDaemon } from '../helpers/cli.js'
import { mintToken, TestClient } from '../helpers/client.js'
import { poll } from '../helpers/poll.js'
import { SwooleClient, upgradeRequest } from './swoole-client.js'

/**
 * Replays test/fixtures/golden/console.json, what MSwoole-ws's console and the
 * README's PHP test client got, against a daemon on the embedded defaults:
 * each step's frames compared byte for byte, placeholders (the pid, the
 * memory) bound to what they match, then the close frame and the TCP close.
 */

interface Placeholder {
  type: 'string' | 'integer'
  pattern: string
  note: string
}

interface Step {
  command: string
  port: 'manager' | 'outside'
  outsideClients?: number
  send: string
  receive: string[]
  clientsReceive?: string
  close: string
  note?: string
}

interface Golden {
  handshake: { request: string }
  placeholders: Record<string, Placeholder>
  closes: Record<string, { bytes: string }>
  steps: Step[]
}

const golden = JSON.parse(readFileSync(new URL('../fixtures/golden/console.json', import.meta.url), 'utf8')) as Golden
const PLACEHOLDER = /\$\{(\w+)\}/g

/**
 * The fixture's text with its placeholders filled from `actual`, each checked
 * against its pattern: equal to `actual`'s bytes when everything else is.
 */
function bind(expected: string, actual: string, values: Map<string, string>): string {
  const names: string[] = []
  const source = expected
    .split(PLACEHOLDER)
    .map((part, i) => {
      if (i % 2 === 0) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
      names.push(part)
      return '(.+?)'
    })
    .join('')
  const match = new RegExp(`^${source}$`, 's').exec(actual)
  if (match === null) return expected
  names.forEach((name, i) => {
    const value = match[i + 1] ?? ''
    const placeholder = golden.placeholders[name]
    if (placeholder === undefined) throw new Error(`no placeholder ${name}`)
    expect(value, `${name}: ${placeholder.note}`).toMatch(new RegExp(placeholder.pattern))
    if (values.has(name)) expect(value, `${name} bound before`).toBe(values.get(name))
    values.set(name, value)
  })
  return expected.replace(PLACEHOLDER, (_all, name: string) => values.get(name) ?? '')
}

describe('golden: the console and the README client, as the seed answered them', () => {
  const daemon = useSharedDaemon()

  it('the test client writes the handshake of the fixture', () => {
    expect(upgradeRequest('${path}', '${key}')).toBe(golden.handshake.request)
  })

  it('replays every step in order, byte for byte', async () => {
    const { project, status } = daemon()
    const values = new Map<string, string>([['pid', String(status.pid)]])
    for (const step of golden.steps) {
      const clients = await connectClients(project.socket, status, step.outsideClients ?? 0)
      const path = step.port === 'outside' ? `/?auth=${await token('golden')}` : '/'
      const client = await SwooleClient.connect(step.port === 'outside' ? status.outside.port : status.manager.port, path)
      client.push(step.send)
      for (const expected of step.receive) {
        const frame = await client.nextFrame()
        expect(frame.opcode, step.command).toBe(0x1)
        const text = bind(expected, frame.payload.toString('utf8'), values)
        expect(frame.payload.toString('hex'), `${step.command}: ${JSON.stringify(text)}`).toBe(Buffer.from(text, 'utf8').toString('hex'))
      }
      const close = golden.closes[step.close]
      expect((await client.nextFrame()).bytes.toString('hex'), step.command).toBe(close?.bytes)
      if (step.close === 'console') await client.serverEnded()
      await client.close()
      for (const c of clients) {
        if (step.clientsReceive !== undefined) {
          let frame = await c.nextFrame()
          while (!frame.includes('serverBroadcast')) frame = await c.nextFrame()
          expect(frame, step.command).toBe(step.clientsReceive)
        }
        if (step.send.includes('"stop"')) expect((await c.closed()).code).toBe(1001)
        else c.close()
      }
    }
    expect(await waitForExit(status.pid, 10_000)).toBe(true)
  })
})

function token(id: string): Promise<string> {
  return mintToken({ id, type: 'wechatUser', code: 'golden' })
}

/** Exactly `count` clients on the outside port, once the daemon has dropped those of the step before. */
async function connectClients(socket: string, status: StatusResult, count: number): Promise<TestClient[]> {
  const idle = await poll(
    () => withDaemon(socket, (c) => c.call('status', {})),
    (s) => s.connections === 0,
  )
  expect(idle.connections).toBe(0)
  const clients: TestClient[] = []
  for (let i = 0; i < count; i++) {
    clients.push(await TestClient.connect(`ws://127.0.0.1:${status.outside.port}/?auth=${await token(`u${i}`)}`))
  }
  const ready = await poll(
    () => withDaemon(socket, (c) => c.call('status', {})),
    (s) => s.connections === count,
  )
  expect(ready.connections).toBe(count)
  return clients
}
