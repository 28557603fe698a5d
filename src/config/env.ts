/**
 * MSWOOLE_<SECTION>_<KEY> / MSWOOLE_<TOPKEY> environment overrides of app.json.
 * The variable list is derived from AppSchema so a new key is overridable at once,
 * and any other MSWOOLE_* name is refused so a misspelt variable is not ignored.
 */
import * as z from 'zod'
import { MswError } from '../errors.js'
import { AppSchema, unwrap, type AppConfig } from './schema.js'

/** MSWOOLE_* variables that are not key overrides (MSWOOLE_CONFIG names the config folder). */
export const RESERVED_ENV: readonly string[] = ['MSWOOLE_CONFIG']

export interface EnvKey {
  variable: string
  /** [section, key] or [topKey]. */
  path: readonly string[]
  /** The key's schema, used to check the parsed value. */
  schema: z.core.$ZodType
}

const PREFIX = 'MSWOOLE_'

function buildEnvKeys(): ReadonlyMap<string, EnvKey> {
  const keys = new Map<string, EnvKey>()
  const add = (path: string[], schema: z.core.$ZodType) => {
    const variable = PREFIX + path.join('_').toUpperCase()
    // Guards against a future key whose name collides once underscores join section and key.
    if (keys.has(variable) || RESERVED_ENV.includes(variable)) throw new Error(`ambiguous config variable ${variable}`)
    keys.set(variable, { variable, path, schema })
  }
  for (const [top, schema] of Object.entries(AppSchema.shape)) {
    const inner = unwrap(schema)
    if (inner instanceof z.ZodObject) {
      for (const [key, leaf] of Object.entries(inner.shape as Record<string, z.core.$ZodType>)) add([top, key], leaf)
    } else {
      add([top], schema)
    }
  }
  return keys
}

export const ENV_KEYS = buildEnvKeys()

/** Turns the string into the key's type; a string that does not fit is kept so the schema reports it. */
function coerce(raw: string, schema: z.core.$ZodType): unknown {
  const type = unwrap(schema)._zod.def.type
  if (type === 'number') {
    const n = Number(raw)
    return raw.trim() !== '' && Number.isFinite(n) ? n : raw
  }
  // Lists are comma-separated: MSWOOLE_OUTSIDE_TRUSTED_PROXIES=127.0.0.1,10.0.0.2
  if (type === 'array')
    return raw
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== '')
  if (type === 'boolean') {
    const v = raw.trim().toLowerCase()
    return v === 'true' || v === '1' ? true : v === 'false' || v === '0' ? false : raw
  }
  return raw
}

function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    const row = [i]
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    prev = row
  }
  return prev[b.length]!
}

function suggest(variable: string): string | undefined {
  const name = variable.slice(PREFIX.length)
  // More than 2 edits, or half the name, is a different word rather than a typo.
  let best: string | undefined
  let bestDistance = Math.min(3, Math.ceil(name.length / 2))
  for (const known of ENV_KEYS.keys()) {
    const d = distance(name, known.slice(PREFIX.length))
    if (d < bestDistance) [best, bestDistance] = [known, d]
  }
  return best
}

/** Returns a copy of `app` with every MSWOOLE_* override applied; throws MSW_ERR_CONFIG_INVALID naming the variable. */
export function applyEnv(app: AppConfig, env: NodeJS.ProcessEnv): AppConfig {
  const result = structuredClone(app) as Record<string, unknown>
  for (const variable of Object.keys(env).sort()) {
    const raw = env[variable]
    if (!variable.startsWith(PREFIX) || raw === undefined || RESERVED_ENV.includes(variable)) continue
    const entry = ENV_KEYS.get(variable)
    if (!entry) {
      const hint = suggest(variable)
      const problem = `unknown configuration variable${hint ? `; did you mean ${hint}?` : ''}`
      throw new MswError('MSW_ERR_CONFIG_INVALID', `${variable}: ${problem}`, { details: { variable, problem } })
    }
    const key = entry.path.join('.')
    const parsed = z.safeParse(entry.schema, coerce(raw, entry.schema))
    if (!parsed.success) {
      const problem = `${parsed.error.issues[0]?.message ?? 'invalid value'}, got ${JSON.stringify(raw)}`
      throw new MswError('MSW_ERR_CONFIG_INVALID', `${variable}: ${key}: ${problem}`, {
        details: { variable, key, problem, issues: [{ key, problem }] },
      })
    }
    const [top, sub] = entry.path as [string, string?]
    if (sub === undefined) result[top] = parsed.data
    else (result[top] as Record<string, unknown>)[sub] = parsed.data
  }
  return result as AppConfig
}
