import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { MswError } from '../../src/errors.js'
import { loadConfig } from '../../src/config/load.js'
import { AppSchema } from '../../src/config/schema.js'

const roots: string[] = []

/** Makes <tmp>/<folder>/ holding the given files (objects are written as JSON); returns <tmp>. */
async function makeRoot(files: Record<string, unknown>, folder = 'config'): Promise<string> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'mswoole-config-'))
  roots.push(root)
  await mkdir(path.join(root, folder), { recursive: true })
  for (const [name, content] of Object.entries(files)) {
    await writeFile(path.join(root, folder, name), typeof content === 'string' ? content : JSON.stringify(content, null, 2))
  }
  return root
}

afterEach(async () => {
  await Promise.all(roots.splice(0).map((root) => rm(root, { recursive: true, force: true })))
})

/** Runs loadConfig expecting it to fail and returns the MswError. */
async function failure(promise: Promise<unknown>): Promise<MswError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(MswError)
  return err as MswError
}

const DEFAULT_APP = {
  outside: {
    host: '0.0.0.0',
    port: 20000,
    trusted_proxies: [],
    allowed_origins: [],
    max_connections_per_ip: 0,
    connections_per_second_per_ip: 0,
    max_header_size: 16384,
    max_url_length: 4096,
    header_timeout: 10,
    accept_unmasked_frames: false,
  },
  manager: { host: '127.0.0.1', port: 20001, header_timeout: 10, allowed_hosts: [], allowed_origins: [], max_key_failures: 10 },
  setting: {
    worker_num: 2,
    heartbeat_idle_time: 60,
    heartbeat_check_interval: 10,
    max_message_size: 65536,
    max_wait_time: 30,
    ack: true,
    escape_html: true,
    wire_format: 'seed',
    max_messages_per_second: 50,
    max_buffered_bytes: 4194304,
    max_execution_time: 30,
    worker_max_memory: 512,
    worker_start_timeout: 30,
    reload_standby: true,
    node_timeout: 10,
  },
  history: { size: 0, ttl: 300 },
  presence: { rooms: [] },
  auth: { enabled: true, codec: 'mswoole', key: 'marico-websocket', max_age: 0 },
  log: { level: 'info', max_size: 10485760, max_files: 5 },
}

describe('loadConfig: defaults', () => {
  it('fills every key of an empty app.json and defaults cache and db', async () => {
    const root = await makeRoot({ 'app.json': {} })
    const config = await loadConfig({ cwd: root, env: {} })
    expect(config.dir).toBe(path.join(root, 'config'))
    expect(config.baseDir).toBe(root)
    expect(config.app).toEqual({ ...DEFAULT_APP, app: path.join(root, 'app'), runtime: path.join(root, 'runtime') })
    expect(config.app.node_id).toBeUndefined()
    expect(config.cache).toEqual({ driver: 'memory', prefix: 'mswoole:' })
    expect(config.db).toEqual({ driver: 'sqlite', file: path.join(root, 'runtime', 'mswoole.db') })
    expect(config.paths).toEqual({
      app: path.join(root, 'app'),
      runtime: path.join(root, 'runtime'),
      pidFile: path.join(root, 'runtime', 'mswoole.pid'),
      socket: path.join(root, 'runtime', 'mswoole.sock'),
      logDir: path.join(root, 'runtime', 'logs'),
      logFile: path.join(root, 'runtime', 'logs', 'mswoole.log'),
      lockFile: path.join(root, 'runtime', 'mswoole.lock'),
    })
  })

  it('ships config/ files that validate and equal the schema defaults', async () => {
    const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
    const shipped = await loadConfig({ cwd: repo, env: {} })
    const root = await makeRoot({ 'app.json': {} })
    const empty = await loadConfig({ cwd: root, env: {} })
    expect(shipped.dir).toBe(path.join(repo, 'config'))
    expect({ ...shipped.app, app: '', runtime: '' }).toEqual({ ...empty.app, app: '', runtime: '' })
    expect(shipped.cache).toEqual(empty.cache)
    expect(shipped.db).toEqual({ driver: 'sqlite', file: path.join(repo, 'runtime', 'mswoole.db') })
  })

  it('keeps given values of a partial file and defaults the rest', async () => {
    const root = await makeRoot({ 'app.json': { outside: { port: 1234 }, auth: { codec: 'jwt' }, node_id: 'node-1.a_b' } })
    const { app } = await loadConfig({ cwd: root, env: {} })
    expect(app.outside).toEqual({ ...DEFAULT_APP.outside, port: 1234 })
    expect(app.auth).toEqual({ ...DEFAULT_APP.auth, codec: 'jwt' })
    expect(app.setting).toEqual(DEFAULT_APP.setting)
    expect(app.node_id).toBe('node-1.a_b')
  })

  it('accepts port 0 (pick a free port)', async () => {
    const root = await makeRoot({ 'app.json': { outside: { port: 0 } } })
    expect((await loadConfig({ cwd: root, env: {} })).app.outside.port).toBe(0)
  })
})

describe('loadConfig: schema failures', () => {
  it('refuses an unknown top-level key, naming file and key', async () => {
    const root = await makeRoot({ 'app.json': { outsid: {} } })
    const err = await failure(loadConfig({ cwd: root, env: {} }))
    expect(err.code).toBe('MSW_ERR_CONFIG_INVALID')
    expect(err.message).toMatch(/^config\/app\.json: outsid: unknown key/)
    expect(err.details).toMatchObject({ file: path.join(root, 'config', 'app.json'), key: 'outsid' })
  })

  it('refuses a nested typo like outside.prot and lists the keys that exist', async () => {
    const root = await makeRoot({ 'app.json': { outside: { prot: 20010 } } })
    const err = await failure(loadConfig({ cwd: root, env: {} }))
    expect(err.message).toBe(
      'config/app.json: outside.prot: unknown key; expected one of host, port, trusted_proxies, allowed_origins, max_connections_per_ip, connections_per_second_per_ip, max_header_size, max_url_length, header_timeout, accept_unmasked_frames',
    )
    expect(err.details).toMatchObject({
      key: 'outside.prot',
      problem:
        'unknown key; expected one of host, port, trusted_proxies, allowed_origins, max_connections_per_ip, connections_per_second_per_ip, max_header_size, max_url_length, header_timeout, accept_unmasked_frames',
    })
  })

  it('refuses a wrong type', async () => {
    const root = await makeRoot({ 'app.json': { auth: { enabled: 'yes' } } })
    const err = await failure(loadConfig({ cwd: root, env: {} }))
    expect(err.message).toBe('config/app.json: auth.enabled: expected true or false, got "yes"')
  })

  it('refuses a section that is not an object', async () => {
    const root = await makeRoot({ 'app.json': { outside: 5 } })
    const err = await failure(loadConfig({ cwd: root, env: {} }))
    expect(err.message).toBe('config/app.json: outside: expected an object, got 5')
  })

  it('refuses an app.json that is not an object', async () => {
    const root = await makeRoot({ 'app.json': '[]' })
    const err = await failure(loadConfig({ cwd: root, env: {} }))
    expect(err.message).toBe('config/app.json: expected an object, got []')
  })

  it('refuses a port out of range or not an integer', async () => {
    for (const [port, shown] of [
      [70000, '70000'],
      [-1, '-1'],
      [80.5, '80.5'],
      ['abc', '"abc"'],
    ] as const) {
      const root = await makeRoot({ 'app.json': { outside: { port } } })
      const err = await failure(loadConfig({ cwd: root, env: {} }))
      expect(err.message).toBe(`config/app.json: outside.port: expected an integer from 0 to 65535, got ${shown}`)
      expect(err.details).toMatchObject({ key: 'outside.port', problem: `expected an integer from 0 to 65535, got ${shown}` })
    }
  })

  it('checks the other ranges and enums', async () => {
    const cases: [unknown, string][] = [
      [{ setting: { worker_num: 65 } }, 'setting.worker_num: expected an integer from 1 to 64, got 65'],
      [{ setting: { heartbeat_idle_time: 0 } }, 'setting.heartbeat_idle_time: expected an integer >= 1, got 0'],
      [{ setting: { max_message_size: 16 * 1024 * 1024 + 1 } }, 'setting.max_message_size: expected an integer from 1 to 16777216'],
      [{ log: { level: 'loud' } }, 'log.level: expected one of "trace", "debug", "info", "warn", "error", "fatal", got "loud"'],
      [{ log: { max_size: 100 } }, 'log.max_size: expected an integer >= 4096, got 100'],
      [{ auth: { codec: 'des' } }, 'auth.codec: expected one of "mswoole", "jwt", got "des"'],
      [{ history: { size: -1 } }, 'history.size: expected an integer from 0 to 100000, got -1'],
      [{ history: { ttl: 0 } }, 'history.ttl: expected an integer from 1 to 604800, got 0'],
      [{ node_id: '' }, 'node_id: expected a non-empty name'],
      [{ node_id: 'a b' }, 'node_id: expected a non-empty name'],
    ]
    for (const [app, expected] of cases) {
      const root = await makeRoot({ 'app.json': app })
      const err = await failure(loadConfig({ cwd: root, env: {} }))
      expect(err.message).toContain(`config/app.json: ${expected}`)
    }
  })

  it('reports the first problem in the message and all of them in details.issues', async () => {
    const root = await makeRoot({ 'app.json': { outside: { port: 'x', hots: 'a' }, log: { max_files: 0 } } })
    const err = await failure(loadConfig({ cwd: root, env: {} }))
    expect(err.message).toBe('config/app.json: outside.port: expected an integer from 0 to 65535, got "x"')
    const issues = (err.details?.issues ?? []) as { key: string }[]
    expect(issues.map((i) => i.key).sort()).toEqual(['log.max_files', 'outside.hots', 'outside.port'])
  })

  it('shows the absolute file path when it is shorter than the relative one', async () => {
    const root = await makeRoot({ 'app.json': { outside: { port: -5 } } })
    const err = await failure(
      loadConfig({
        cwd: path.join(root, 'config', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n'),
        dir: path.join(root, 'config'),
        env: {},
      }),
    )
    expect(err.message.startsWith(`${path.join(root, 'config', 'app.json')}: outside.port:`)).toBe(true)
  })
})

describe('loadConfig: JSON and missing files', () => {
  it('reports invalid JSON with the file, line and column', async () => {
    const root = await makeRoot({ 'app.json': '{\n  "outside": {\n    "port": 1,\n  }\n}\n' })
    const err = await failure(loadConfig({ cwd: root, env: {} }))
    expect(err.code).toBe('MSW_ERR_CONFIG_INVALID')
    expect(err.message).toMatch(/^config\/app\.json:4:3: invalid JSON: /)
    expect(err.details).toMatchObject({ file: path.join(root, 'config', 'app.json'), line: 4, column: 3 })
  })

  it('reports a truncated JSON file at its end', async () => {
    const root = await makeRoot({ 'app.json': '{\n  "outside": {' })
    const err = await failure(loadConfig({ cwd: root, env: {} }))
    expect(err.message).toMatch(/^config\/app\.json:2:15: invalid JSON: /)
  })

  it('accepts a UTF-8 BOM', async () => {
    const root = await makeRoot({ 'app.json': '\uFEFF{"outside":{"port":1}}' })
    expect((await loadConfig({ cwd: root, env: {} })).app.outside.port).toBe(1)
  })

  it('fails with MSW_ERR_CONFIG_NOT_FOUND on a missing folder, naming it', async () => {
    const root = await makeRoot({})
    const err = await failure(loadConfig({ cwd: root, dir: 'nope', env: {} }))
    expect(err.code).toBe('MSW_ERR_CONFIG_NOT_FOUND')
    expect(err.message).toContain('nope')
    expect(err.details).toEqual({ dir: path.join(root, 'nope') })
  })

  it('fails with MSW_ERR_CONFIG_NOT_FOUND on a missing app.json, naming it', async () => {
    const root = await makeRoot({ 'cache.json': {} })
    const err = await failure(loadConfig({ cwd: root, env: {} }))
    expect(err.code).toBe('MSW_ERR_CONFIG_NOT_FOUND')
    expect(err.message).toBe('config/app.json not found')
    expect(err.details).toEqual({ file: path.join(root, 'config', 'app.json') })
  })

  it('reports invalid JSON in an optional file too', async () => {
    const root = await makeRoot({ 'app.json': {}, 'db.json': '{"driver": sqlite}' })
    const err = await failure(loadConfig({ cwd: root, env: {} }))
    expect(err.code).toBe('MSW_ERR_CONFIG_INVALID')
    expect(err.message).toMatch(/^config\/db\.json(:\d+:\d+)?: invalid JSON: /)
  })
})

describe('loadConfig: cache.json and db.json', () => {
  it('accepts the redis variant with a default prefix and passed-through options', async () => {
    const cache = { driver: 'redis', url: 'redis://127.0.0.1:6379/0', options: { db: 2, keyPrefix: 'x', tls: {} } }
    const root = await makeRoot({ 'app.json': {}, 'cache.json': cache })
    const config = await loadConfig({ cwd: root, env: {} })
    expect(config.cache).toEqual({ ...cache, prefix: 'mswoole:' })
  })

  it('accepts a Redis Cluster by its nodes, and Sentinel by its options', async () => {
    const cluster = { driver: 'redis', cluster: ['redis://127.0.0.1:7000', 'redis://127.0.0.1:7001'], prefix: 'c:' }
    let root = await makeRoot({ 'app.json': {}, 'cache.json': cluster })
    expect((await loadConfig({ cwd: root, env: {} })).cache).toEqual(cluster)
    const sentinel = { driver: 'redis', options: { sentinels: [{ host: '127.0.0.1', port: 26379 }], name: 'mymaster' } }
    root = await makeRoot({ 'app.json': {}, 'cache.json': sentinel })
    expect((await loadConfig({ cwd: root, env: {} })).cache).toEqual({ ...sentinel, prefix: 'mswoole:' })
  })

  it('defaults the driver of a partial cache.json to memory', async () => {
    const root = await makeRoot({ 'app.json': {}, 'cache.json': { prefix: 'p:' } })
    expect((await loadConfig({ cwd: root, env: {} })).cache).toEqual({ driver: 'memory', prefix: 'p:' })
  })

  it('refuses an unknown cache driver', async () => {
    const root = await makeRoot({ 'app.json': {}, 'cache.json': { driver: 'mongo' } })
    const err = await failure(loadConfig({ cwd: root, env: {} }))
    expect(err.code).toBe('MSW_ERR_CONFIG_INVALID')
    expect(err.message).toBe('config/cache.json: driver: expected driver "memory" or "redis", got "mongo"')
    expect(err.details).toMatchObject({ file: path.join(root, 'config', 'cache.json'), key: 'driver' })
  })

  it('refuses redis without url and memory with a redis-only key', async () => {
    let root = await makeRoot({ 'app.json': {}, 'cache.json': { driver: 'redis' } })
    let err = await failure(loadConfig({ cwd: root, env: {} }))
    expect(err.message).toBe('config/cache.json: url: expected exactly one of url, cluster or options.sentinels, but it is missing')
    root = await makeRoot({ 'app.json': {}, 'cache.json': { driver: 'redis', url: 'redis://x', cluster: ['redis://y:7000'] } })
    err = await failure(loadConfig({ cwd: root, env: {} }))
    expect(err.message).toMatch(/^config\/cache\.json: url: expected exactly one of url, cluster or options\.sentinels/)
    root = await makeRoot({ 'app.json': {}, 'cache.json': { driver: 'memory', url: 'redis://x' } })
    err = await failure(loadConfig({ cwd: root, env: {} }))
    expect(err.message).toMatch(/^config\/cache\.json: url: unknown key/)
  })

  it('accepts postgres and refuses an unknown db driver', async () => {
    let root = await makeRoot({ 'app.json': {}, 'db.json': { driver: 'postgres', url: 'postgres://u@h/db' } })
    expect((await loadConfig({ cwd: root, env: {} })).db).toEqual({ driver: 'postgres', url: 'postgres://u@h/db' })
    root = await makeRoot({ 'app.json': {}, 'db.json': { driver: 'mysql' } })
    const err = await failure(loadConfig({ cwd: root, env: {} }))
    expect(err.message).toBe('config/db.json: driver: expected driver "sqlite" or "postgres", got "mysql"')
  })
})

describe('loadConfig: folder selection and paths', () => {
  it('uses MSWOOLE_CONFIG as the folder, and options.dir over it', async () => {
    const root = await makeRoot({ 'app.json': { outside: { port: 1 } } }, 'conf-a')
    await mkdir(path.join(root, 'conf-b'))
    await writeFile(path.join(root, 'conf-b', 'app.json'), JSON.stringify({ outside: { port: 2 } }))
    const fromEnv = await loadConfig({ cwd: root, env: { MSWOOLE_CONFIG: 'conf-a' } })
    expect(fromEnv.dir).toBe(path.join(root, 'conf-a'))
    expect(fromEnv.app.outside.port).toBe(1)
    const fromOption = await loadConfig({ cwd: root, dir: 'conf-b', env: { MSWOOLE_CONFIG: 'conf-a' } })
    expect(fromOption.app.outside.port).toBe(2)
    const absolute = await loadConfig({ cwd: '/', env: { MSWOOLE_CONFIG: path.join(root, 'conf-a') } })
    expect(absolute.dir).toBe(path.join(root, 'conf-a'))
  })

  it('resolves relative paths against the folder holding the config folder, not cwd', async () => {
    const root = await makeRoot(
      { 'app.json': { app: 'controllers', runtime: '../var/run' }, 'db.json': { file: 'data/x.db' } },
      'etc/mswoole',
    )
    const elsewhere = await makeRoot({})
    const config = await loadConfig({ cwd: elsewhere, dir: path.join(root, 'etc', 'mswoole'), env: {} })
    const base = path.join(root, 'etc')
    expect(config.baseDir).toBe(base)
    expect(config.paths.app).toBe(path.join(base, 'controllers'))
    expect(config.app.app).toBe(path.join(base, 'controllers'))
    expect(config.paths.runtime).toBe(path.join(root, 'var', 'run'))
    expect(config.paths.pidFile).toBe(path.join(root, 'var', 'run', 'mswoole.pid'))
    expect(config.paths.logFile).toBe(path.join(root, 'var', 'run', 'logs', 'mswoole.log'))
    expect(config.db).toEqual({ driver: 'sqlite', file: path.join(base, 'data', 'x.db') })
  })

  it('keeps absolute paths as they are', async () => {
    const root = await makeRoot({ 'app.json': { runtime: '/srv/mswoole/run' } })
    const config = await loadConfig({ cwd: root, env: {} })
    expect(config.paths.runtime).toBe('/srv/mswoole/run')
    expect(config.paths.socket).toBe('/srv/mswoole/run/mswoole.sock')
  })
})

describe('loadConfig: manager.key', () => {
  it('refuses an empty key on a host that is not loopback, naming manager.key and why', async () => {
    const root = await makeRoot({ 'app.json': { manager: { host: '0.0.0.0', key: '' } } })
    const err = await failure(loadConfig({ cwd: root, env: {} }))
    expect(err.code).toBe('MSW_ERR_CONFIG_INVALID')
    expect(err.message).toMatch(
      /^config\/app\.json: manager\.key: must be set when manager\.host \("0\.0\.0\.0"\) is not a loopback address/,
    )
    expect(err.message).not.toContain('\n')
    expect(err.details).toMatchObject({ key: 'manager.key' })
  })

  it('checks the host and key as the environment leaves them', async () => {
    const root = await makeRoot({ 'app.json': {} })
    const err = await failure(loadConfig({ cwd: root, env: { MSWOOLE_MANAGER_HOST: '10.1.2.3', MSWOOLE_MANAGER_KEY: '' } }))
    expect(err.message).toContain('manager.key')
    const keyed = await loadConfig({ cwd: root, env: { MSWOOLE_MANAGER_HOST: '10.1.2.3', MSWOOLE_MANAGER_KEY: 's3cret' } })
    expect(keyed.app.manager).toMatchObject({ host: '10.1.2.3', key: 's3cret' })
  })

  it('allows an empty key on loopback hosts, and any host with a key or with none given (generated)', async () => {
    for (const host of ['127.0.0.1', '127.8.9.10', 'localhost', '::1', '[::1]', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1']) {
      const root = await makeRoot({ 'app.json': { manager: { host, key: '' } } })
      expect((await loadConfig({ cwd: root, env: {} })).app.manager.host, host).toBe(host)
    }
    for (const host of ['0.0.0.0', '::', '192.168.1.5', 'example.com', '']) {
      const root = await makeRoot({ 'app.json': { manager: { host, key: '' } } })
      expect((await failure(loadConfig({ cwd: root, env: {} }))).details, host).toMatchObject({ key: 'manager.key' })
      const keyed = await makeRoot({ 'app.json': { manager: { host, key: 'k' } } })
      expect((await loadConfig({ cwd: keyed, env: {} })).app.manager.key, host).toBe('k')
      const absent = await makeRoot({ 'app.json': { manager: { host } } })
      expect((await loadConfig({ cwd: absent, env: {} })).app.manager.key, host).toBeUndefined()
    }
  })
})

describe('AppSchema', () => {
  it('parses an empty object to the documented defaults', () => {
    expect(AppSchema.parse({})).toEqual({ ...DEFAULT_APP, app: './app', runtime: './runtime' })
  })
})
