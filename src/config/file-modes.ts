/**
 * Config files that hold keys or passwords should be readable by their owner
 * only: anyone who reads auth.key can mint client tokens, manager.key drives
 * the manager port, and a Redis or database password opens the data. This
 * finds such files that group or others may read; start warns, it does not refuse.
 */
import { readFile, stat } from 'node:fs/promises'
import path from 'node:path'
import type { Logger } from 'pino'
import { SEED_AUTH_KEY } from './schema.js'

export interface ConfigFileWarning {
  file: string
  /** As operators type it: 0644. */
  mode: string
  /** The keys that hold secrets, as dotted paths: auth.key, options.password, url. */
  keys: string[]
  message: string
}

const FILES = ['app.json', 'cache.json', 'db.json'] as const

/** Group-read or other-read. */
const READABLE_BY_OTHERS = 0o044

/** Keys whose string value is a secret wherever they appear (key, password, sentinelPassword). */
const SECRET_NAME = /(?:^|_)key$|password$/i

export async function configFileWarnings(configDir: string): Promise<ConfigFileWarning[]> {
  const warnings: ConfigFileWarning[] = []
  for (const name of FILES) {
    const file = path.join(configDir, name)
    const mode = await stat(file).then(
      (s) => s.mode,
      () => undefined,
    )
    if (mode === undefined || (mode & READABLE_BY_OTHERS) === 0) continue
    const keys = secretsIn(await readJson(file))
    if (keys.length === 0) continue
    const shown = `0${(mode & 0o777).toString(8)}`
    warnings.push({
      file,
      mode: shown,
      keys,
      message: `${file} holds ${keys.join(', ')} and is readable by group or others (mode ${shown}): run chmod 600 ${file}`,
    })
  }
  return warnings
}

/** The same warnings, as lines of the daemon's log. */
export async function logConfigFileWarnings(configDir: string, logger: Logger): Promise<void> {
  for (const { file, mode, keys } of await configFileWarnings(configDir)) {
    logger.warn({ file, mode, keys }, 'a config file that holds keys is readable by group or others: chmod 600 it')
  }
}

async function readJson(file: string): Promise<unknown> {
  try {
    return JSON.parse((await readFile(file, 'utf8')).replace(/^\uFEFF/, ''))
  } catch {
    // The loader has already said what is wrong with it; unreadable here means nothing to report.
    return undefined
  }
}

/** Dotted paths of the non-empty secrets in a parsed config file. */
export function secretsIn(value: unknown, at = ''): string[] {
  if (typeof value === 'string') {
    const name = at.slice(at.lastIndexOf('.') + 1)
    // The seed's auth key is public by design: there is nothing to hide.
    if (at === 'auth.key' && value === SEED_AUTH_KEY) return []
    return value !== '' && (SECRET_NAME.test(name) || urlHasPassword(value)) ? [at] : []
  }
  if (value === null || typeof value !== 'object') return []
  return Object.entries(value).flatMap(([key, inner]) => secretsIn(inner, at === '' ? key : `${at}.${key}`))
}

/** redis://:secret@host, postgres://user:secret@host/db. */
function urlHasPassword(value: string): boolean {
  if (!value.includes('@') || !URL.canParse(value)) return false
  return new URL(value).password !== ''
}
