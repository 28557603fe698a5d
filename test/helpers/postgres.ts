import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { existsSync } from 'node:fs'
import { chown, mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { execa } from 'execa'
import pg from 'pg'
import { afterAll, beforeAll } from 'vitest'
import { LineCollector } from './lines.js'
import { within } from './poll.js'
import { freePort } from './redis-server.js'

/** A real PostgreSQL server on 127.0.0.1, in a temporary folder, for one test file. */
export interface PostgresServer {
  /** The server's `postgres` database, as its superuser (trust auth, no password). */
  readonly url: string
  readonly port: number
  /** Creates an empty database and answers its URL; a fresh name when none is given. */
  createDatabase(name?: string): Promise<string>
  /** Fast shutdown (SIGKILL if it has not exited after a while), then the folder is removed; harmless when stopped. */
  stop(): Promise<void>
}

const VERSIONS_DIR = '/usr/lib/postgresql'
const DEBIAN_PACKAGE = 'postgresql'
/** The server refuses to run as root: it runs as the package's system user. */
const SYSTEM_USER = 'postgres'
const HOST = '127.0.0.1'
const READY_LINE = 'database system is ready to accept connections'
const START_TIMEOUT_MS = 30_000
const KILL_AFTER_MS = 10_000
/** A port taken between our probe and the server's bind is retried on another free port, this many times. */
const PORT_ATTEMPTS = 5

class PortInUseError extends Error {}

export async function startPostgres(): Promise<PostgresServer> {
  const bin = await findPostgresBin()
  const asRoot = process.getuid?.() === 0
  const dir = await mkdtemp(path.join(tmpdir(), 'msw-pg-'))
  const data = path.join(dir, 'data')
  let child: ChildProcess | undefined
  const stop = async (): Promise<void> => {
    const running = child
    child = undefined
    if (running !== undefined) await terminate(running)
    await rm(dir, { recursive: true, force: true })
  }
  try {
    if (asRoot) {
      const { uid, gid } = await systemUser(SYSTEM_USER)
      await chown(dir, uid, gid)
    }
    const initdb = await execa(
      ...asUser(asRoot, path.join(bin, 'initdb'), [
        '-D',
        data,
        '-U',
        'postgres',
        '--auth=trust',
        '--encoding=UTF8',
        '--locale=C',
        '--no-sync',
      ]),
      {
        cwd: dir,
        reject: false,
        stdin: 'ignore',
      },
    )
    if (initdb.exitCode !== 0) throw new Error(`initdb failed (${initdb.exitCode}):\n${initdb.stdout}\n${initdb.stderr}`)
    for (let attempt = 1; ; attempt++) {
      const port = await freePort()
      try {
        child = await launch(asRoot, path.join(bin, 'postgres'), data, dir, port)
        const url = `postgres://postgres@${HOST}:${port}/postgres`
        return { url, port, createDatabase: (name) => createDatabase(url, port, name), stop }
      } catch (err) {
        if (!(err instanceof PortInUseError) || attempt >= PORT_ATTEMPTS) throw err
      }
    }
  } catch (err) {
    await stop()
    throw err
  }
}

/** A server for one test file (or describe block): started before its tests, stopped after them; the getter throws if the start failed. */
export function usePostgres(): () => PostgresServer {
  let server: PostgresServer | undefined
  // apt-get may have to install the server first.
  beforeAll(async () => {
    server = await startPostgres()
  }, 300_000)
  afterAll(async () => {
    await server?.stop()
  })
  return () => {
    if (server === undefined) throw new Error('the PostgreSQL server did not start')
    return server
  }
}

/** The newest installed server's bin folder, installing the Debian package when none is and we are root (as in CI). */
async function findPostgresBin(): Promise<string> {
  const found = await installedBin()
  if (found !== undefined) return found
  if (process.getuid?.() !== 0)
    throw new Error(`no ${VERSIONS_DIR}/*/bin/postgres: install it with \`apt-get install -y ${DEBIAN_PACKAGE}\``)
  await execa('apt-get', ['update', '-qq'])
  await execa('apt-get', ['install', '-y', '-qq', DEBIAN_PACKAGE], { env: { DEBIAN_FRONTEND: 'noninteractive' } })
  const installed = await installedBin()
  if (installed === undefined) throw new Error(`installing ${DEBIAN_PACKAGE} did not provide ${VERSIONS_DIR}/*/bin/postgres`)
  return installed
}

async function installedBin(): Promise<string | undefined> {
  const versions = await readdir(VERSIONS_DIR).catch(() => [] as string[])
  const newest = versions
    .filter((version) => existsSync(path.join(VERSIONS_DIR, version, 'bin', 'postgres')))
    .sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a))[0]
  return newest === undefined ? undefined : path.join(VERSIONS_DIR, newest, 'bin')
}

async function systemUser(name: string): Promise<{ uid: number; gid: number }> {
  const uid = await execa('id', ['-u', name], { reject: false })
  const gid = await execa('id', ['-g', name], { reject: false })
  if (uid.exitCode !== 0 || gid.exitCode !== 0) throw new Error(`no system user ${name}: the ${DEBIAN_PACKAGE} package creates it`)
  return { uid: Number(uid.stdout), gid: Number(gid.stdout) }
}

/**
 * As root, the program runs as the system user through setpriv, which execs
 * it in place: the pid we hold is the server's own, so signals reach it.
 */
function asUser(asRoot: boolean, program: string, args: string[]): [string, string[]] {
  if (!asRoot) return [program, args]
  return ['setpriv', [`--reuid=${SYSTEM_USER}`, `--regid=${SYSTEM_USER}`, '--init-groups', program, ...args]]
}

/** Starts the server on `port` and resolves once it logs that it accepts connections. */
async function launch(asRoot: boolean, program: string, data: string, dir: string, port: number): Promise<ChildProcess> {
  const [command, args] = asUser(asRoot, program, [
    '-D',
    data,
    '-p',
    String(port),
    '-k',
    dir,
    '-c',
    `listen_addresses=${HOST}`,
    // A throwaway server: nothing needs to survive a crash of the machine.
    '-c',
    'fsync=off',
    '-c',
    'synchronous_commit=off',
    '-c',
    'full_page_writes=off',
    '-c',
    'max_connections=200',
  ])
  const child = spawn(command, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] })
  // The server logs to stderr.
  const log = new LineCollector(child.stderr, `postgres on port ${port}`)
  const output = new LineCollector(child.stdout, 'postgres stdout')
  try {
    await once(child, 'spawn')
    await within(
      log.waitFor((line) => line.includes(READY_LINE)),
      START_TIMEOUT_MS,
      `postgres on port ${port} starting`,
    )
    return child
  } catch (err) {
    await terminate(child)
    const printed = [...log.lines, ...output.lines]
    if (printed.some((line) => line.includes('Address already in use'))) throw new PortInUseError(`port ${port} is in use`)
    throw new Error(`postgres did not start on port ${port}:\n${printed.join('\n')}`, { cause: err })
  }
}

/**
 * SIGINT is PostgreSQL's fast shutdown: it ends the sessions still open and
 * exits (SIGTERM would wait for every client to leave). SIGKILL after a while.
 */
async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = once(child, 'exit')
  child.kill('SIGINT')
  const timer = setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_MS)
  try {
    await exited
  } finally {
    clearTimeout(timer)
  }
}

async function createDatabase(serverUrl: string, port: number, name = `msw_${randomBytes(6).toString('hex')}`): Promise<string> {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`not a plain database name: ${JSON.stringify(name)}`)
  const client = new pg.Client({ connectionString: serverUrl })
  await client.connect()
  try {
    await client.query(`CREATE DATABASE ${name}`)
  } finally {
    await client.end()
  }
  return `postgres://postgres@${HOST}:${port}/${name}`
}
