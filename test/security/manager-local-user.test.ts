import { randomBytes } from 'node:crypto'
import path from 'node:path'
import { execa } from 'execa'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { withDaemon } from '../../src/ipc/client.js'
import { useSharedDaemon } from '../helpers/cli.js'

/**
 * Another account on the same machine, with the shipped defaults (no
 * manager.key: a generated one in the 0700 runtime folder). It reaches the
 * manager port on 127.0.0.1 like anyone local, but cannot read the key, so
 * the seed console's `{"method":"stop"}` and a JSON-RPC stop are refused.
 * Creating the account needs root, which the suite runs as.
 */

const user = `msw-probe-${randomBytes(4).toString('hex')}`
const daemon = useSharedDaemon({ manager: { key: undefined } })

/** What the other account tries, run with its uid: read the key, then stop the daemon over WebSocket and HTTP. */
const PROBE = `
const fs = require('node:fs')
const http = require('node:http')
const crypto = require('node:crypto')
const [keyFile, port] = process.argv.slice(1)
const result = { uid: process.getuid() }
try { fs.readFileSync(keyFile, 'utf8'); result.read = 'read' } catch (err) { result.read = err.code }
function ws() {
  return new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/', headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': crypto.randomBytes(16).toString('base64') } })
    req.on('response', (res) => { res.resume(); resolve(res.statusCode) })
    req.on('upgrade', (res, socket) => {
      const payload = Buffer.from('{"method":"stop"}')
      const mask = crypto.randomBytes(4)
      const masked = payload.map((byte, i) => byte ^ mask[i % 4])
      socket.write(Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, masked]))
      socket.once('data', () => { socket.destroy(); resolve(101) })
    })
    req.on('error', (err) => resolve(err.code))
    req.end()
  })
}
function rpc() {
  return new Promise((resolve) => {
    const body = '{"jsonrpc":"2.0","id":1,"method":"stop","params":{}}'
    const req = http.request({ host: '127.0.0.1', port, path: '/rpc', method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } })
    req.on('response', (res) => { res.resume(); resolve(res.statusCode) })
    req.on('error', (err) => resolve(err.code))
    req.end(body)
  })
}
ws().then((status) => { result.ws = status; return rpc() }).then((status) => { result.rpc = status; console.log(JSON.stringify(result)) })
`

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error('this suite must run as root: it creates a system account to act as a second local user')
  await execa('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', user])
})

afterAll(async () => {
  await execa('userdel', [user], { reject: false })
})

describe('a second local user', () => {
  it('cannot read the generated key, and is refused stop over the WebSocket and /rpc; the daemon keeps running', async () => {
    const { project, status } = daemon()
    const keyFile = path.join(project.runtime, 'manager.key')
    expect(status.managerKeyFile).toBe(keyFile)
    const probe = await execa('runuser', ['-u', user, '--', process.execPath, '-e', PROBE, keyFile, String(status.manager.port)], {
      cwd: '/',
    })
    const result = JSON.parse(probe.stdout) as { uid: number; read: string; ws: number; rpc: number }
    expect(result.uid).not.toBe(0)
    expect(result).toMatchObject({ read: 'EACCES', ws: 401, rpc: 401 })
    const after = await withDaemon(project.socket, (client) => client.call('status', {}))
    expect(after).toMatchObject({ pid: status.pid, state: 'running' })
  })
})
