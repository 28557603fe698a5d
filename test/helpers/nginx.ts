import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { execa } from 'execa'
import { LineCollector } from './lines.js'
import { within } from './poll.js'
import { freePort } from './redis-server.js'
import { ensureProgram } from './system-package.js'

/** The example configuration shipped for operators; the tests run this file, not a copy of it. */
export const DEPLOY_CONFIG = fileURLToPath(new URL('../../deploy/nginx.conf', import.meta.url))

/** A real nginx on 127.0.0.1 in front of some mswoole nodes, for one test file. */
export interface NginxServer {
  readonly port: number
  /** ws://127.0.0.1:<port> */
  readonly url: string
  /** The master's pid. */
  readonly pid: number
  /** Fast shutdown (SIGTERM), SIGKILL if it lingers; removes its folder. Harmless when already stopped. */
  stop(): Promise<void>
  /** SIGHUP; resolves once a worker with the re-read configuration has started and the port answers. */
  reload(): Promise<void>
}

export interface NginxOptions {
  /** host:port of each node's outside port, in upstream order. */
  upstreams: string[]
  /** events { worker_connections }: each WebSocket takes two (client and upstream). Default 256. */
  workerConnections?: number
}

/** A port taken between our probe and nginx's bind is retried on another free port, this many times. */
const PORT_ATTEMPTS = 5
const START_TIMEOUT_MS = 15_000
const KILL_AFTER_MS = 5000
const NGINX = '/usr/sbin/nginx'
const WORKER_CONNECTIONS = 256

class PortInUseError extends Error {}

export async function startNginx(options: NginxOptions): Promise<NginxServer> {
  const program = await ensureProgram(NGINX, 'nginx')
  const shipped = await readFile(DEPLOY_CONFIG, 'utf8')
  for (let attempt = 1; ; attempt++) {
    const port = await freePort()
    const dir = await makeDir()
    try {
      const conf = await writeConfig(dir, siteConfig(shipped, port, options.upstreams), options.workerConnections)
      const running = await launch(program, dir, conf, port)
      return handle(running, port)
    } catch (err) {
      await rm(dir, { recursive: true, force: true })
      if (!(err instanceof PortInUseError) || attempt >= PORT_ATTEMPTS) throw err
    }
  }
}

/** Runs `nginx -t` on http-level blocks (the shipped file by default), wrapped as startNginx wraps them. */
export async function testConfig(site?: string): Promise<{ ok: boolean; output: string }> {
  const program = await ensureProgram(NGINX, 'nginx')
  const dir = await makeDir()
  try {
    const conf = await writeConfig(dir, site ?? (await readFile(DEPLOY_CONFIG, 'utf8')))
    const result = await execa(program, ['-t', ...paths(dir, conf)], { reject: false, all: true, stdin: 'ignore' })
    return { ok: result.exitCode === 0, output: String(result.all) }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/**
 * The shipped blocks with our listen address and upstream servers put in. Fails
 * when the file no longer has the lines we replace, so the test cannot silently
 * stop exercising it.
 */
export function siteConfig(shipped: string, port: number, upstreams: string[]): string {
  const listen = /^(\s*)listen\s+80;/gm
  const found = shipped.match(listen)?.length ?? 0
  if (found !== 1) throw new Error(`${DEPLOY_CONFIG}: expected one \`listen 80;\` line, found ${found}`)
  let servers = 0
  const withUpstreams = shipped.replace(/^(upstream mswoole \{)([^}]*)\}/m, (_all, head: string, body: string) => {
    const kept = body.split('\n').filter((line) => {
      const isServer = /^\s*server\s+[^;]+;/.test(line)
      if (isServer) servers++
      return !isServer
    })
    return `${head}\n${upstreams.map((u) => `    server ${u};`).join('\n')}${kept.join('\n')}}`
  })
  if (servers === 0) throw new Error(`${DEPLOY_CONFIG}: expected an \`upstream mswoole { server …; }\` block`)
  return withUpstreams.replace(listen, `$1listen 127.0.0.1:${port};`)
}

async function makeDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'msw-nginx-'))
  // Workers run as nobody when we are root; they must reach the temp paths the master creates (and chowns) here.
  await chmod(dir, 0o755)
  return dir
}

/** The main context around the site: everything nginx writes stays in `dir`; notices also go to stderr for us to wait on. */
async function writeConfig(dir: string, site: string, workerConnections = WORKER_CONNECTIONS): Promise<string> {
  const root = process.getuid?.() === 0
  const file = (name: string) => path.join(dir, name)
  const text = [
    root ? 'user nobody nogroup;' : '',
    'daemon off;',
    'master_process on;', // reload (SIGHUP) needs a master
    'worker_processes 1;', // one worker: it alone counts the upstream's connections (least_conn), so its choices are predictable
    `pid ${file('nginx.pid')};`,
    `error_log ${file('error.log')} notice;`,
    'error_log stderr notice;',
    `events { worker_connections ${workerConnections}; }`,
    'http {',
    `  access_log ${file('access.log')};`,
    ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((kind) => `  ${kind}_temp_path ${file(kind)};`),
    site,
    '}',
    '',
  ].join('\n')
  const conf = file('nginx.conf')
  await writeFile(conf, text)
  return conf
}

function paths(dir: string, conf: string): string[] {
  return ['-e', path.join(dir, 'error.log'), '-p', `${dir}/`, '-c', conf]
}

interface Running {
  child: ChildProcess
  log: LineCollector
  dir: string
}

/** Starts nginx and resolves once its worker runs and the port accepts connections. */
async function launch(program: string, dir: string, conf: string, port: number): Promise<Running> {
  const child = spawn(program, paths(dir, conf), { stdio: ['ignore', 'ignore', 'pipe'] })
  const log = new LineCollector(child.stderr, `nginx on port ${port}`)
  const running = { child, log, dir }
  try {
    await once(child, 'spawn')
    // The master binds before it forks workers, so a started worker means the port is bound (or a bind failed first).
    const line = await within(
      log.waitFor((l) => workerStarted(l) !== undefined || l.includes('[emerg]')),
      START_TIMEOUT_MS,
      'nginx start',
    )
    if (line.includes('Address already in use')) throw new PortInUseError(`port ${port} is in use`)
    if (line.includes('[emerg]')) throw new Error(line)
    await accepts(port)
    return running
  } catch (err) {
    await terminate(running)
    if (err instanceof PortInUseError) throw err
    throw new Error(`nginx did not start on port ${port}:\n${log.lines.join('\n')}`, { cause: err })
  }
}

function handle(running: Running, port: number): NginxServer {
  let stopped = false
  return {
    port,
    url: `ws://127.0.0.1:${port}`,
    pid: running.child.pid as number,
    async stop() {
      if (stopped) return
      stopped = true
      await terminate(running)
    },
    async reload() {
      const { child, log } = running
      const seen = new Set(log.lines)
      const before = new Set(log.lines.map(workerStarted).filter((pid) => pid !== undefined))
      child.kill('SIGHUP')
      // A failed reload keeps the old workers and logs [emerg]; a good one starts new workers.
      const newWorker = (l: string) => {
        const pid = workerStarted(l)
        return pid !== undefined && !before.has(pid)
      }
      const failed = (l: string) => l.includes('[emerg]') && !seen.has(l)
      const line = await within(
        log.waitFor((l) => newWorker(l) || failed(l)),
        START_TIMEOUT_MS,
        'nginx reload',
      )
      if (line.includes('[emerg]')) throw new Error(`nginx reload failed: ${line}`)
      await accepts(port)
    },
  }
}

function workerStarted(line: string): string | undefined {
  return /start worker process (\d+)/.exec(line)?.[1]
}

/** One TCP connect to the port: resolves when it is accepted, rejects when refused. */
async function accepts(port: number): Promise<void> {
  const socket = connect(port, '127.0.0.1')
  try {
    await within(once(socket, 'connect'), START_TIMEOUT_MS, `connect to nginx on port ${port}`)
  } finally {
    socket.destroy()
  }
}

async function terminate({ child, dir }: Running): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = once(child, 'exit')
    // Fast shutdown: open WebSockets are cut at once (a graceful SIGQUIT would wait for them to close).
    child.kill('SIGTERM')
    const timer = setTimeout(() => void killAll(child.pid as number), KILL_AFTER_MS)
    try {
      await exited
    } finally {
      clearTimeout(timer)
    }
  }
  await rm(dir, { recursive: true, force: true })
}

/** SIGKILL for the master and its workers: a killed master leaves its workers running. */
async function killAll(master: number): Promise<void> {
  for (const pid of [...(await childrenOf(master)), master]) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {
      // Already gone.
    }
  }
}

async function childrenOf(parent: number): Promise<number[]> {
  const found: number[] = []
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8')
      // Fields after the parenthesised command name: state, ppid, …
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      if (ppid === parent) found.push(Number(entry))
    } catch {
      // The process ended while we looked.
    }
  }
  return found
}
