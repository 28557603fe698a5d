import { lstat, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import type { StatusResult } from '../../src/contracts/control-api.js'
import { cli, cliJson, startDaemon, useProjects } from '../helpers/cli.js'
import { refusal, TestClient } from '../helpers/client.js'
import { poll } from '../helpers/poll.js'
import { readLogLines } from '../helpers/project.js'
import { managerOf, request, type ErrorBody } from '../daemon/manager/manager-http.js'
import { rawUpgrade } from './manager-http-raw.js'

/**
 * The manager port as shipped: with no manager.key in the config the daemon
 * generates one into the runtime folder (0600) and keeps it across restarts,
 * so a fresh install is never an open port; wrong keys are rate-limited per
 * address and logged in aggregate.
 */

const project = useProjects()

/** A project whose app.json has no manager.key at all (the shipped default). */
const unkeyed = () => project({ manager: { key: undefined } })

describe('a config without manager.key', () => {
  it('generates a 64-hex key in runtime/manager.key (0600), demands it, and keeps it across a restart', async () => {
    const p = await unkeyed()
    const appJson = JSON.parse(await readFile(path.join(p.configDir, 'app.json'), 'utf8')) as { manager: Record<string, unknown> }
    expect(Object.hasOwn(appJson.manager, 'key')).toBe(false)

    const started = await startDaemon(p)
    const keyFile = path.join(p.runtime, 'manager.key')
    expect(started.managerKeyFile).toBe(keyFile)
    const stats = await lstat(keyFile)
    expect(stats.isFile()).toBe(true)
    expect(stats.mode & 0o777).toBe(0o600)
    const key = (await readFile(keyFile, 'utf8')).trim()
    expect(key).toMatch(/^[0-9a-f]{64}$/)

    const manager = managerOf(started, key)
    const refused = await request<ErrorBody>(manager, '/api/status', { auth: 'none' })
    expect(refused.status).toBe(401)
    expect(refused.body.error.code).toBe('MSW_ERR_UNAUTHORIZED')
    expect((await refusal(`${manager.ws}/`)).status).toBe(401)
    expect((await request(manager, '/api/status')).status).toBe(200)
    expect((await request(manager, '/rpc', { json: { jsonrpc: '2.0', id: 1, method: 'status' } })).status).toBe(200)

    // status says where the key is, never what it is.
    const status = await cliJson<StatusResult>(p, ['status'])
    expect(status.json.managerKeyFile).toBe(keyFile)
    const text = await cli(p, ['status'])
    expect(text.stdout).toContain('manager key file')
    expect(text.stdout).toContain(keyFile)
    expect(text.stdout + JSON.stringify(status.json)).not.toContain(key)
    const started2 = (await readLogLines(p)).find((line) => line.msg === 'mswoole started')
    expect(started2).toMatchObject({ managerKeyFile: keyFile })

    expect((await cli(p, ['stop'])).exitCode).toBe(0)
    const again = await startDaemon(p)
    expect((await readFile(keyFile, 'utf8')).trim()).toBe(key)
    expect((await request(managerOf(again, key), '/api/status')).status).toBe(200)
  })

  it('refuses to start on a manager.key that is a symlink, or readable by others', async () => {
    const p = await unkeyed()
    const keyFile = path.join(p.runtime, 'manager.key')
    const elsewhere = path.join(p.root, 'planted-key')
    await writeFile(elsewhere, 'planted\n', { mode: 0o600 })
    await mkdir(p.runtime, { recursive: true, mode: 0o700 })
    await symlink(elsewhere, keyFile)
    const linked = await cli(p, ['start'])
    expect(linked.exitCode).not.toBe(0)
    expect(linked.stderr).toContain('MSW_ERR_MANAGER_KEY_FILE')
    expect(linked.stderr).toContain('symbolic link')

    await rm(keyFile)
    await writeFile(keyFile, 'readable-by-all\n', { mode: 0o644 })
    const readable = await cli(p, ['start'])
    expect(readable.exitCode).not.toBe(0)
    expect(readable.stderr).toContain('MSW_ERR_MANAGER_KEY_FILE')
    expect(readable.stderr).toContain('readable by others')
  })

  it('keeps an explicit "" as the open mode for the seed console (no key file), but not for browser pages', async () => {
    const p = await project({ manager: { key: '' } })
    const started = await startDaemon(p)
    expect(started.managerKeyFile).toBeUndefined()
    await expect(lstat(path.join(p.runtime, 'manager.key'))).rejects.toMatchObject({ code: 'ENOENT' })
    const socket = await TestClient.connect(`${managerOf(started).ws}/`)
    socket.send({ method: 'status' })
    expect(await socket.nextFrame()).toContain(`主进程PID: ${started.pid}\n`)
    socket.close()
    const fromPage = await rawUpgrade(started.manager.port, '/', { origin: 'http://evil.example' })
    expect([fromPage.status, fromPage.code]).toEqual([403, 'MSW_ERR_MANAGER_ORIGIN'])
  })
})

describe('wrong manager keys', () => {
  it('answer 429 with Retry-After after 10 from one address, even to the right key, logged in aggregate', async () => {
    const KEY = 'rate-limit-key'
    const p = await project({ manager: { key: KEY } })
    const manager = managerOf(await startDaemon(p), KEY)
    const began = Date.now()
    for (let i = 0; i < 10; i++) {
      const wrong = await request<ErrorBody>(manager, '/api/status', { key: `wrong-${i}` })
      expect(wrong.status, `attempt ${i + 1}`).toBe(401)
    }
    const eleventh = await request<ErrorBody>(manager, '/api/status', { key: 'wrong-10' })
    expect(eleventh.status).toBe(429)
    expect(eleventh.body.error.code).toBe('MSW_ERR_MANAGER_RATE_LIMITED')
    expect(Number(eleventh.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
    expect(Number(eleventh.headers.get('retry-after'))).toBeLessThanOrEqual(10)
    // The right key cannot be told apart meanwhile, over HTTP or a WebSocket upgrade.
    const right = await request<ErrorBody>(manager, '/api/status')
    expect(right.status).toBe(429)
    expect(right.body.error.code).toBe('MSW_ERR_MANAGER_RATE_LIMITED')
    expect((await refusal(`${manager.ws}/?key=${KEY}`)).status).toBe(429)
    // /healthz stays open.
    expect((await request(manager, '/healthz', { auth: 'none' })).status).toBe(200)

    // Ten failures, logged at warn in lines at least a second apart, each with its count.
    const warned = await poll(
      async () => (await readLogLines(p)).filter((line) => line.msg === 'wrong manager keys'),
      (lines) => lines.reduce((sum, line) => sum + Number(line.failures), 0) >= 10,
    )
    const elapsed = Date.now() - began
    expect(warned.reduce((sum, line) => sum + Number(line.failures), 0)).toBe(10)
    expect(warned.length).toBeGreaterThanOrEqual(1)
    expect(warned.length).toBeLessThanOrEqual(1 + Math.ceil(elapsed / 1000))
    expect(warned.length).toBeLessThan(10)
    for (const line of warned) expect(line.level).toBe('warn')
    expect(warned.some((line) => JSON.stringify(line.refused ?? []).includes('127.0.0.1'))).toBe(true)
  })
})
