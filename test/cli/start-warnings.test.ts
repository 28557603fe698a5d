import { describe, expect, it } from 'vitest'
import { AppSchema, SEED_AUTH_KEY } from '../../src/config/schema.js'
import { startWarnings } from '../../src/daemon/start-warnings.js'

const bound = { outside: { host: '0.0.0.0', port: 9501 }, manager: { host: '127.0.0.1', port: 9502 } }

function app(settings: Record<string, unknown>) {
  return AppSchema.parse({ app: '/srv/app', ...settings })
}

describe('startWarnings', () => {
  it('warns of the public auth key beyond loopback and of an open manager port', () => {
    const warnings = startWarnings(app({ outside: { host: '0.0.0.0' }, manager: { key: '' } }), { ...bound, managerKey: '' })
    expect(warnings).toEqual([
      {
        key: 'auth.key',
        host: '0.0.0.0',
        port: 9501,
        message: 'auth.key is the public default: anyone can mint client tokens; set a long random key of your own',
      },
      {
        key: 'manager.key',
        host: '127.0.0.1',
        port: 9502,
        message: 'manager.key is empty: the manager port is open to anyone on this machine',
      },
    ])
  })

  it('has nothing to say of a key of its own, a loopback port and a manager key', () => {
    expect(startWarnings(app({ auth: { key: 'a-long-random-key-of-our-own' } }), { ...bound, managerKey: 'k'.repeat(32) })).toEqual([])
    expect(
      startWarnings(app({ auth: { key: SEED_AUTH_KEY }, outside: { host: '127.0.0.1' } }), { ...bound, managerKey: 'k'.repeat(32) }),
    ).toEqual([])
  })

  it('warns of a manager port on every address that takes only loopback Host headers', () => {
    const warnings = startWarnings(app({ outside: { host: '127.0.0.1' }, manager: { host: '0.0.0.0', key: 'k'.repeat(32) } }), {
      ...bound,
      managerKey: 'k'.repeat(32),
    })
    expect(warnings.map((w) => w.key)).toEqual(['manager.host'])
  })
})
