import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { MswError } from '../../src/errors.js'
import { ENV_KEYS, RESERVED_ENV, applyEnv } from '../../src/config/env.js'
import { loadConfig } from '../../src/config/load.js'
import { AppSchema } from '../../src/config/schema.js'

const roots: string[] = []

async function makeRoot(app: unknown = {}): Promise<string> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'mswoole-env-'))
  roots.push(root)
  await mkdir(path.join(root, 'config'))
  await writeFile(path.join(root, 'config', 'app.json'), JSON.stringify(app))
  return root
}

afterEach(async () => {
  await Promise.all(roots.splice(0).map((root) => rm(root, { recursive: true, force: true })))
})

function caught(fn: () => unknown): MswError {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(MswError)
    return err as MswError
  }
  throw new Error('expected a failure')
}

const defaults = () => AppSchema.parse({})

describe('ENV_KEYS', () => {
  it('has one variable per schema key, section keys joined with _', () => {
    const expected: string[] = []
    for (const [top, value] of Object.entries(defaults())) {
      if (value && typeof value === 'object') for (const key of Object.keys(value)) expected.push(`MSWOOLE_${top}_${key}`.toUpperCase())
      else expected.push(`MSWOOLE_${top}`.toUpperCase())
    }
    expected.push('MSWOOLE_NODE_ID') // optional, so absent from the parsed defaults
    expected.push('MSWOOLE_MANAGER_DASHBOARD') // optional: absent follows the key ("on", or "readonly" in the open mode)
    expected.push('MSWOOLE_MANAGER_KEY') // optional too: absent means "generate one"
    expect([...ENV_KEYS.keys()].sort()).toEqual(expected.sort())
    expect(ENV_KEYS.get('MSWOOLE_SETTING_HEARTBEAT_IDLE_TIME')?.path).toEqual(['setting', 'heartbeat_idle_time'])
    expect(RESERVED_ENV).toContain('MSWOOLE_CONFIG')
    expect(ENV_KEYS.has('MSWOOLE_CONFIG')).toBe(false)
  })
})

describe('applyEnv', () => {
  it('overrides a number, a boolean, a string and a nested underscore key with typed values', () => {
    const app = applyEnv(defaults(), {
      MSWOOLE_OUTSIDE_PORT: '20010',
      MSWOOLE_AUTH_ENABLED: 'false',
      MSWOOLE_AUTH_KEY: 'secret',
      MSWOOLE_SETTING_HEARTBEAT_IDLE_TIME: '5',
      MSWOOLE_NODE_ID: 'node-7',
    })
    expect(app.outside.port).toBe(20010)
    expect(app.auth.enabled).toBe(false)
    expect(app.auth.key).toBe('secret')
    expect(app.setting.heartbeat_idle_time).toBe(5)
    expect(app.node_id).toBe('node-7')
    expect(app.setting.heartbeat_check_interval).toBe(10) // neighbours untouched
  })

  it('reads booleans as true/false/1/0', () => {
    expect(applyEnv(defaults(), { MSWOOLE_AUTH_ENABLED: '0' }).auth.enabled).toBe(false)
    expect(applyEnv({ ...defaults(), auth: { ...defaults().auth, enabled: false } }, { MSWOOLE_AUTH_ENABLED: '1' }).auth.enabled).toBe(true)
    expect(applyEnv(defaults(), { MSWOOLE_AUTH_ENABLED: 'TRUE' }).auth.enabled).toBe(true)
  })

  it('does not change its input', () => {
    const app = defaults()
    applyEnv(app, { MSWOOLE_OUTSIDE_PORT: '1' })
    expect(app.outside.port).toBe(20000)
  })

  it('ignores variables outside MSWOOLE_ and the reserved MSWOOLE_CONFIG', () => {
    expect(applyEnv(defaults(), { PATH: '/bin', MSWOOLE: 'x', MSWOOLE_CONFIG: '/etc/mswoole' })).toEqual(defaults())
  })

  it('refuses a bad value, naming the variable, the key and the problem', () => {
    const err = caught(() => applyEnv(defaults(), { MSWOOLE_OUTSIDE_PORT: 'abc' }))
    expect(err.code).toBe('MSW_ERR_CONFIG_INVALID')
    expect(err.message).toBe('MSWOOLE_OUTSIDE_PORT: outside.port: expected an integer from 0 to 65535, got "abc"')
    expect(err.details).toMatchObject({ variable: 'MSWOOLE_OUTSIDE_PORT', key: 'outside.port' })
  })

  it('applies the schema ranges and enums to env values', () => {
    const cases: [Record<string, string>, string][] = [
      [{ MSWOOLE_OUTSIDE_PORT: '70000' }, 'MSWOOLE_OUTSIDE_PORT: outside.port: expected an integer from 0 to 65535, got "70000"'],
      [{ MSWOOLE_OUTSIDE_PORT: '' }, 'MSWOOLE_OUTSIDE_PORT: outside.port: expected an integer from 0 to 65535, got ""'],
      [
        { MSWOOLE_SETTING_WORKER_NUM: '1.5' },
        'MSWOOLE_SETTING_WORKER_NUM: setting.worker_num: expected an integer from 1 to 64, got "1.5"',
      ],
      [{ MSWOOLE_AUTH_ENABLED: 'yes' }, 'MSWOOLE_AUTH_ENABLED: auth.enabled: expected true or false, got "yes"'],
      [{ MSWOOLE_LOG_LEVEL: 'loud' }, 'MSWOOLE_LOG_LEVEL: log.level: expected one of'],
      [{ MSWOOLE_NODE_ID: 'a b' }, 'MSWOOLE_NODE_ID: node_id: expected a non-empty name'],
    ]
    for (const [env, expected] of cases) expect(caught(() => applyEnv(defaults(), env)).message).toContain(expected)
  })

  it('refuses an unknown MSWOOLE_ variable and suggests the near one', () => {
    const err = caught(() => applyEnv(defaults(), { MSWOOLE_OUTSIDE_PROT: '20010' }))
    expect(err.code).toBe('MSW_ERR_CONFIG_INVALID')
    expect(err.message).toBe('MSWOOLE_OUTSIDE_PROT: unknown configuration variable; did you mean MSWOOLE_OUTSIDE_PORT?')
    expect(err.details).toMatchObject({ variable: 'MSWOOLE_OUTSIDE_PROT' })
    expect(caught(() => applyEnv(defaults(), { MSWOOLE_XYZ: '1' })).message).toBe('MSWOOLE_XYZ: unknown configuration variable')
  })
})

describe('loadConfig with env', () => {
  it('lets env win over the file and resolves an env path against the base folder', async () => {
    const root = await makeRoot({ outside: { port: 1 } })
    const config = await loadConfig({
      cwd: root,
      env: { MSWOOLE_OUTSIDE_PORT: '20010', MSWOOLE_RUNTIME: './var', MSWOOLE_LOG_LEVEL: 'debug' },
    })
    expect(config.app.outside.port).toBe(20010)
    expect(config.app.log.level).toBe('debug')
    expect(config.paths.runtime).toBe(path.join(root, 'var'))
    expect(config.paths.pidFile).toBe(path.join(root, 'var', 'mswoole.pid'))
  })

  it('fails the load on an unknown or bad variable', async () => {
    const root = await makeRoot()
    await expect(loadConfig({ cwd: root, env: { MSWOOLE_SETTINGS_WORKER_NUM: '4' } })).rejects.toMatchObject({
      code: 'MSW_ERR_CONFIG_INVALID',
      message: expect.stringContaining(
        'MSWOOLE_SETTINGS_WORKER_NUM: unknown configuration variable; did you mean MSWOOLE_SETTING_WORKER_NUM?',
      ),
    })
    await expect(loadConfig({ cwd: root, env: { MSWOOLE_AUTH_MAX_AGE: '-1' } })).rejects.toMatchObject({
      code: 'MSW_ERR_CONFIG_INVALID',
      details: { variable: 'MSWOOLE_AUTH_MAX_AGE', key: 'auth.max_age' },
    })
  })
})
