import { isLoopbackHost } from '../config/loopback.js'
import { SEED_AUTH_KEY, type AppConfig } from '../config/schema.js'
import type { Address } from '../contracts/control-api.js'
import type { StartWarning } from '../contracts/ready-message.js'

const EVERY_ADDRESS = new Set(['0.0.0.0', '::', ''])

/** The warnings of a daemon bound to these ports with this manager key (empty: the open mode). */
export function startWarnings(app: AppConfig, bound: { outside: Address; manager: Address; managerKey: string }): StartWarning[] {
  const warnings: StartWarning[] = []
  const at = (key: string, address: Address, message: string) => warnings.push({ key, message, host: address.host, port: address.port })
  // The seed's key is public: anyone can mint tokens with it, which matters once the port leaves loopback.
  if (app.auth.enabled && app.auth.key === SEED_AUTH_KEY && !isLoopbackHost(app.outside.host)) {
    at('auth.key', bound.outside, 'auth.key is the public default: anyone can mint client tokens; set a long random key of your own')
  }
  if (bound.managerKey === '') at('manager.key', bound.manager, 'manager.key is empty: the manager port is open to anyone on this machine')
  if (EVERY_ADDRESS.has(app.manager.host) && app.manager.allowed_hosts.length === 0) {
    at(
      'manager.host',
      bound.manager,
      'manager.host listens on every address, but only loopback Host headers are taken: list the names and addresses backends use in manager.allowed_hosts',
    )
  }
  return warnings
}
