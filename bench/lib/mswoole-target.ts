/**
 * mswoole as a benchmark target: a throwaway project folder, the daemon started and
 * stopped through the built CLI (as an operator would), and one token per connection.
 * Scenarios share this, so a reload-under-load scenario gets the same setup as
 * request/reply.
 */
import { execFile } from 'node:child_process'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { encodeToken } from '../../src/auth/codec.js'
import { REPO_ROOT } from './paths.js'

const run = promisify(execFile)

export const CLI = path.join(REPO_ROOT, 'bin', 'run.js')
export const AUTH_KEY = 'mswoole-bench-key'

export interface MswooleTargetOptions {
  /** Keys merged over the bench's `setting` block of app.json. */
  setting?: Record<string, unknown>
  /** Tokens to mint, one per connection (connection i uses token i mod count). */
  tokens: number
  /** The user id of the first token (default 1): the nodes of one cluster then hold distinct users. */
  firstUserId?: number
  /** app.json `node_id`: the node's name in a cluster. */
  nodeId?: string
  /** config/cache.json, e.g. `{driver: 'redis', url, prefix}` for a cluster node; without it the memory store. */
  cache?: Record<string, unknown>
  /** `start --expose-gc`: the daemon answers `debug.gc` on its control socket (bench/lib/heap-probe.ts). */
  exposeGc?: boolean
  /** Top-level app.json keys merged over the bench's, e.g. `{history: {size: 100, ttl: 300}}`. */
  extra?: Record<string, unknown>
}

export interface MswooleTarget {
  readonly root: string
  readonly configDir: string
  readonly port: number
  readonly pid: number
  /** The daemon's control socket, for an IpcClient. */
  readonly socket: string
  /** The app.json the daemon runs with, for the results file. */
  readonly appJson: Record<string, unknown>
  /** Its cache.json, when it has one. */
  readonly cacheJson: Record<string, unknown> | undefined
  /** ws://127.0.0.1:<port>/?auth=<token i>, for the load client's url factory. */
  url(index: number): string
  /** Runs `mswoole <args> -c <configDir> --json` and returns the parsed JSON. */
  cliJson<T>(args: string[]): Promise<T>
  /** The command line, as a human would type it, for the results file. */
  command(args: string[]): string
  /** Stops through the CLI, kills the pid if that fails, removes the folder. Safe to call twice. */
  stop(): Promise<void>
}

/** Daemons started and not yet stopped, so a runner interrupted by a signal can stop them. */
const live = new Set<MswooleTarget>()

export async function stopAllMswoole(): Promise<void> {
  await Promise.allSettled([...live].map((t) => t.stop()))
}

/** Without ambient MSWOOLE_* variables, which would silently override the bench config. */
export function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MSWOOLE_')))
}

/** A throwaway project folder with the bench's config/app.json (and cache.json when asked). */
export async function benchProject(
  options: Pick<MswooleTargetOptions, 'setting' | 'nodeId' | 'cache' | 'extra'> & { app?: string },
): Promise<{ root: string; configDir: string; appJson: Record<string, unknown> }> {
  const root = await mkdtemp(path.join(tmpdir(), 'mswoole-bench-'))
  const configDir = path.join(root, 'config')
  await mkdir(configDir)
  const appJson: Record<string, unknown> = {
    outside: { host: '127.0.0.1', port: 0 },
    // An explicit empty key (open, loopback only): the soak's manager client sends none.
    manager: { host: '127.0.0.1', port: 0, key: '' },
    setting: {
      // A closed-loop client sends as fast as replies come back, far past the default
      // 50 msg/s per connection abuse guard; the guard is not what is measured here.
      max_messages_per_second: 1_000_000,
      ...options.setting,
    },
    auth: { enabled: true, codec: 'mswoole', key: AUTH_KEY, max_age: 0 },
    app: options.app ?? path.join(REPO_ROOT, 'app'),
    runtime: './runtime',
    ...(options.nodeId === undefined ? {} : { node_id: options.nodeId }),
    ...options.extra,
  }
  await writeFile(path.join(configDir, 'app.json'), `${JSON.stringify(appJson, null, 2)}\n`)
  if (options.cache !== undefined) await writeFile(path.join(configDir, 'cache.json'), `${JSON.stringify(options.cache, null, 2)}\n`)
  return { root, configDir, appJson }
}

/**
 * One URL per token, ws://127.0.0.1:<port>/?auth=<token>. Minted in-process with the
 * same codec the daemon decodes: the CLI's `token` command would cost one process per connection.
 */
export async function benchUrls(port: number, count: number, firstUserId = 1): Promise<string[]> {
  const now = Math.floor(Date.now() / 1000)
  const tokens = await Promise.all(
    Array.from({ length: Math.max(1, count) }, (_, i) =>
      encodeToken(
        'mswoole',
        { id: firstUserId + i, type: 'wechatUser', code: 'bench', nickname: `bench${firstUserId + i}`, ctime: now },
        AUTH_KEY,
      ),
    ),
  )
  return tokens.map((t) => `ws://127.0.0.1:${port}/?auth=${encodeURIComponent(t)}`)
}

export async function startMswoole(options: MswooleTargetOptions): Promise<MswooleTarget> {
  const { root, configDir, appJson } = await benchProject(options)

  const cliJson = async <T>(args: string[]): Promise<T> => {
    const { stdout } = await run(process.execPath, [CLI, ...args, '-c', configDir, '--json'], {
      cwd: root,
      env: cleanEnv(),
      maxBuffer: 16 * 1024 * 1024,
      timeout: 60_000,
    }).catch((err: Error & { stdout?: string; stderr?: string }) => {
      throw new Error(`mswoole ${args.join(' ')} failed: ${err.stderr?.trim() || err.message}`, { cause: err })
    })
    return JSON.parse(stdout) as T
  }

  let status: { pid: number; socket: string; outside: { port: number } }
  try {
    status = await cliJson(['start', ...(options.exposeGc === true ? ['--expose-gc'] : [])])
  } catch (err) {
    await rm(root, { recursive: true, force: true })
    throw err
  }

  const port = status.outside.port
  const urls = await benchUrls(port, options.tokens, options.firstUserId)

  let stopped = false
  const target: MswooleTarget = {
    root,
    configDir,
    port,
    pid: status.pid,
    socket: status.socket,
    appJson,
    cacheJson: options.cache,
    url: (i) => urls[i % urls.length]!,
    cliJson,
    // The folder is temporary; its app.json is in the results (params.mswooleAppJson).
    command: (args) => `node bin/run.js ${args.join(' ')} -c <tmp>/config`,
    async stop() {
      if (stopped) return
      stopped = true
      try {
        await cliJson(['stop', '--timeout', '10'])
      } catch {
        // The CLI could not stop it: end the daemon we started, by its pid.
        try {
          process.kill(status.pid, 'SIGKILL')
        } catch {
          // Already gone.
        }
      }
      live.delete(target)
      await rm(root, { recursive: true, force: true })
    },
  }
  live.add(target)
  return target
}
