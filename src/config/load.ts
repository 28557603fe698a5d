/**
 * Finds, reads and validates the configuration folder, applies environment
 * overrides and resolves every path, so the rest of mswoole sees one checked,
 * absolute Config. Every failure names the file (or variable), the key and the problem.
 */
import { readFile, stat } from 'node:fs/promises'
import path from 'node:path'
import type * as z from 'zod'
import { MswError, systemCode } from '../errors.js'
import { applyEnv } from './env.js'
import { isLoopbackHost } from './loopback.js'
import { AppSchema, CacheSchema, DbSchema, keysAt, type AppConfig, type CacheConfig, type DbConfig } from './schema.js'

export interface ConfigPaths {
  app: string
  runtime: string
  pidFile: string
  socket: string
  logDir: string
  logFile: string
  lockFile: string
}

export interface Config {
  /** The absolute config folder. */
  dir: string
  /** The folder that holds the config folder; relative paths in the files resolve against it. */
  baseDir: string
  /** app.json with env overrides; `app` and `runtime` are absolute. */
  app: AppConfig
  cache: CacheConfig
  /** For sqlite, `file` is absolute. */
  db: DbConfig
  paths: ConfigPaths
}

export interface LoadConfigOptions {
  dir?: string
  env?: NodeJS.ProcessEnv
  cwd?: string
}

export interface ConfigIssue {
  key: string
  problem: string
}

export async function loadConfig(options: LoadConfigOptions = {}): Promise<Config> {
  const env = options.env ?? process.env
  const cwd = path.resolve(options.cwd ?? process.cwd())
  // An empty MSWOOLE_CONFIG counts as unset, as shells make `VAR= cmd` easy.
  const dir = path.resolve(cwd, options.dir ?? (env.MSWOOLE_CONFIG || 'config'))
  const show = (file: string) => {
    const rel = path.relative(cwd, file)
    return rel !== '' && rel.length < file.length ? rel : file
  }

  await checkFolder(dir, show)
  const appFile = path.join(dir, 'app.json')
  const cacheFile = path.join(dir, 'cache.json')
  const dbFile = path.join(dir, 'db.json')
  const fileApp = validate(AppSchema, await readJson(appFile, true, show), appFile, show)
  const cache = validate(CacheSchema, (await readJson(cacheFile, false, show)) ?? {}, cacheFile, show)
  const db = validate(DbSchema, (await readJson(dbFile, false, show)) ?? {}, dbFile, show)
  const app = applyEnv(fileApp, env)
  checkManagerKey(app, appFile, show)

  const baseDir = path.dirname(dir)
  app.app = path.resolve(baseDir, app.app)
  app.runtime = path.resolve(baseDir, app.runtime)
  if (db.driver === 'sqlite') db.file = path.resolve(baseDir, db.file)
  const runtime = app.runtime
  const logDir = path.join(runtime, 'logs')
  return {
    dir,
    baseDir,
    app,
    cache,
    db,
    paths: {
      app: app.app,
      runtime,
      pidFile: path.join(runtime, 'mswoole.pid'),
      socket: path.join(runtime, 'mswoole.sock'),
      logDir,
      logFile: path.join(logDir, 'mswoole.log'),
      lockFile: path.join(runtime, 'mswoole.lock'),
    },
  }
}

async function checkFolder(dir: string, show: (file: string) => string): Promise<void> {
  let isDir: boolean
  try {
    isDir = (await stat(dir)).isDirectory()
  } catch (err) {
    const code = systemCode(err)
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new MswError('MSW_ERR_CONFIG_NOT_FOUND', `configuration folder not found: ${show(dir)}`, { cause: err, details: { dir } })
    }
    throw new MswError('MSW_ERR_CONFIG_INVALID', `cannot read configuration folder ${show(dir)}: ${code ?? String(err)}`, {
      cause: err,
      details: { dir },
    })
  }
  if (!isDir)
    throw new MswError('MSW_ERR_CONFIG_NOT_FOUND', `configuration folder not found: ${show(dir)} is not a folder`, { details: { dir } })
}

/** Parses a JSON file; a missing optional file gives undefined. */
async function readJson(file: string, required: boolean, show: (file: string) => string): Promise<unknown> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    const code = systemCode(err)
    if (code === 'ENOENT') {
      if (!required) return undefined
      throw new MswError('MSW_ERR_CONFIG_NOT_FOUND', `${show(file)} not found`, { cause: err, details: { file } })
    }
    throw new MswError('MSW_ERR_CONFIG_INVALID', `cannot read ${show(file)}: ${code ?? String(err)}`, { cause: err, details: { file } })
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1) // editors on Windows add a BOM JSON.parse refuses
  try {
    return JSON.parse(text)
  } catch (err) {
    throw jsonError(text, file, String((err as Error).message), show)
  }
}

/** Turns V8's JSON.parse message into file:line:column when it carries a position. */
function jsonError(text: string, file: string, reason: string, show: (file: string) => string): MswError {
  let line: number | undefined
  let column: number | undefined
  const lc = /\(line (\d+) column (\d+)\)/.exec(reason) // newer V8
  const at = /at position (\d+)/.exec(reason)
  const pos = at ? Number(at[1]) : /end of JSON input/.test(reason) ? text.length : undefined
  if (lc) [line, column] = [Number(lc[1]), Number(lc[2])]
  else if (pos !== undefined) {
    const before = text.slice(0, pos)
    line = before.split('\n').length
    column = pos - before.lastIndexOf('\n')
  }
  const problem = `invalid JSON: ${reason.replace(/ in JSON at position \d+/, '').replace(/ \(line \d+ column \d+\)/, '')}`
  const where = line === undefined ? show(file) : `${show(file)}:${line}:${column}`
  return new MswError('MSW_ERR_CONFIG_INVALID', `${where}: ${problem}`, { details: { file, line, column, problem } })
}

function validate<S extends z.ZodType>(schema: S, raw: unknown, file: string, show: (file: string) => string): z.output<S> {
  const result = schema.safeParse(raw)
  if (result.success) return result.data
  const issues = result.error.issues.flatMap((issue) => describe(schema, raw, issue))
  const first = issues[0] ?? { key: '', problem: 'invalid' }
  const message = first.key ? `${show(file)}: ${first.key}: ${first.problem}` : `${show(file)}: ${first.problem}`
  throw new MswError('MSW_ERR_CONFIG_INVALID', message, { details: { file, key: first.key, problem: first.problem, issues } })
}

/**
 * The manager port pushes, kicks, reloads and stops: without a key it may only
 * listen where nothing but this machine reaches it. An absent key is fine anywhere
 * (the daemon generates one into the runtime folder); an explicit "" is the open
 * mode, loopback hosts only. Checked after the env overrides, since either may set
 * the host or the key.
 */
function checkManagerKey(app: AppConfig, file: string, show: (file: string) => string): void {
  const { host, key } = app.manager
  if (key === undefined || key !== '' || isLoopbackHost(host)) return
  const problem = `must be set when manager.host (${JSON.stringify(host)}) is not a loopback address; without a key anyone who reaches the port could push, kick, reload and stop; leave manager.key out to have one generated`
  throw new MswError('MSW_ERR_CONFIG_INVALID', `${show(file)}: manager.key: ${problem}`, {
    details: { file, key: 'manager.key', problem, issues: [{ key: 'manager.key', problem }] },
  })
}

function describe(schema: z.ZodType, raw: unknown, issue: z.core.$ZodIssue): ConfigIssue[] {
  if (issue.code === 'unrecognized_keys') {
    const known = keysAt(schema, issue.path)
    const problem = known ? `unknown key; expected one of ${known.join(', ')}` : 'unknown key'
    return issue.keys.map((key) => ({ key: [...issue.path, key].join('.'), problem }))
  }
  const value = valueAt(raw, issue.path)
  const problem = value === undefined ? `${issue.message}, but it is missing` : `${issue.message}, got ${preview(value)}`
  return [{ key: issue.path.map(String).join('.'), problem }]
}

function valueAt(raw: unknown, keys: readonly PropertyKey[]): unknown {
  let value = raw
  for (const key of keys) {
    if (value === null || typeof value !== 'object') return undefined
    value = (value as Record<PropertyKey, unknown>)[key]
  }
  return value
}

function preview(value: unknown): string {
  const text = JSON.stringify(value)
  return text.length > 60 ? `${text.slice(0, 57)}...` : text
}
