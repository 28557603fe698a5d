import { existsSync } from 'node:fs'
import { chmod, mkdir, readFile, readdir, stat } from 'node:fs/promises'
import path from 'node:path'
import { execa } from 'execa'
import { describe, expect, it } from 'vitest'
import type { StatusResult } from '../../src/contracts/control-api.js'
import { BIN, cliJson, startDaemon, useProjects, useSharedDaemon } from '../helpers/cli.js'
import { RawControl } from '../helpers/raw-control.js'
import type { Project } from '../helpers/project.js'

/**
 * The control socket is as powerful as the daemon's user: stop, reload, kick,
 * broadcast. Only file permissions guard it, so these tests check the modes and
 * try it as another user (nobody) through the real CLI.
 */

const project = useProjects()

/**
 * One running daemon for the tests that only look at it or are refused by it: the checks of
 * the modes, the attempts as nobody (which put back the one mode they loosen) and the garbage.
 */
const shared = useSharedDaemon({ log: { level: 'debug' } })

const NOBODY = 65534
const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((file) => existsSync(file))
/** Switching to another user needs root and setpriv (util-linux). */
const canSwitchUser = process.getuid?.() === 0 && SETPRIV !== undefined

interface RunResult {
  exitCode: number
  stdout: string
  stderr: string
}

/** Runs the built CLI as user and group `uid`, with no supplementary groups. */
async function cliAs(uid: number, p: Project, args: string[]): Promise<RunResult> {
  const result = await execa(
    SETPRIV as string,
    [`--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', process.execPath, BIN, ...args, '-c', p.configDir],
    {
      reject: false,
      stdin: 'ignore',
      cwd: '/',
      // A home that user can read, so the CLI's own data folder does not warn about root's.
      env: { HOME: '/nonexistent' },
    },
  )
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) }
}

/**
 * Lets other users reach the configuration (the project root gets a+x, the config
 * folder a+rx, app.json a+r) and leaves the runtime folder as the daemon made it.
 */
async function shareConfig(p: Project): Promise<void> {
  await chmod(p.root, 0o711)
  await chmod(p.configDir, 0o755)
  await chmod(path.join(p.configDir, 'app.json'), 0o644)
}

/** The real uid and gid of a running process, from /proc. */
async function ownerOf(pid: number): Promise<{ uid: number; gid: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  const field = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)?.[1])
  return { uid: field('Uid'), gid: field('Gid') }
}

/** Every entry under `dir`, the folder itself included (runtime folders are a few entries deep). */
async function walk(dir: string, depth = 0): Promise<string[]> {
  const found = [dir]
  if (depth > 4) return found
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) found.push(...(await walk(full, depth + 1)))
    else found.push(full)
  }
  return found
}

async function expectStillRunning(p: Project, pid: number): Promise<void> {
  const { exitCode, json } = await cliJson<StatusResult>(p, ['status'])
  expect(exitCode).toBe(0)
  expect(json).toMatchObject({ running: true, state: 'running', pid })
  expect(existsSync(p.socket)).toBe(true)
  expect(existsSync(p.pidFile)).toBe(true)
}

/** Still running, and its runtime folder and socket still private. */
async function expectUntouched(p: Project, pid: number): Promise<void> {
  await expectStillRunning(p, pid)
  expect((await stat(p.runtime)).mode & 0o777).toBe(0o700)
  expect((await stat(p.socket)).mode & 0o777).toBe(0o600)
}

/** A refusal as the CLI reports it: non-zero, one line naming the socket and the permission error. */
function expectPermissionRefusal(result: RunResult, p: Project, what: string): void {
  expect(result.exitCode, `${what}: ${result.stderr}`).not.toBe(0)
  const lines = result.stderr.trim().split('\n')
  expect(lines, what).toHaveLength(1)
  expect(lines[0], what).toContain('[MSW_ERR_IPC_CONNECT]')
  expect(lines[0], what).toContain(p.socket)
  expect(lines[0], what).toContain('EACCES')
}

describe('the runtime folder and the control socket', () => {
  it('are 0700 and 0600, owned by the daemon user, and nothing under runtime/ is open to group or others', async () => {
    const {
      project: p,
      status: { pid },
    } = shared()
    const owner = await ownerOf(pid)

    const runtime = await stat(p.runtime)
    expect(runtime.isDirectory()).toBe(true)
    expect(runtime.mode & 0o777).toBe(0o700)
    const socket = await stat(p.socket)
    expect(socket.isSocket()).toBe(true)
    expect(socket.mode & 0o777).toBe(0o600)

    // The pid file, the logs folder and files, and whatever else the daemon keeps there.
    const entries = await walk(p.runtime)
    expect(entries).toEqual(expect.arrayContaining([p.runtime, p.socket, p.pidFile, p.logFile]))
    for (const entry of entries) {
      const info = await stat(entry)
      expect(info.mode & 0o077, `${entry} mode ${(info.mode & 0o777).toString(8)}`).toBe(0)
      expect({ uid: info.uid, gid: info.gid }, entry).toEqual(owner)
    }
  })

  it('tightens a runtime folder that already existed with a loose mode', async () => {
    const p = await project()
    await mkdir(p.runtime)
    // Others may read and enter it; one they may write is refused instead (runtime-trust.test.ts).
    await chmod(p.runtime, 0o755)
    const { pid } = await startDaemon(p)
    expect((await stat(p.runtime)).mode & 0o777).toBe(0o700)
    expect((await stat(p.socket)).mode & 0o777).toBe(0o600)
    await expectStillRunning(p, pid)
  })
})

describe('another user (nobody)', () => {
  // One test per command (each CLI run as nobody is slow on a busy machine); the daemon runs on after each.
  it
    .skipIf(!canSwitchUser)
    .each([['status'], ['stop'], ['reload'], ['conn', 'ls'], ['kick', '1'], ['broadcast', '--all', 'hello'], ['rooms']])(
    'cannot use the control socket: %s fails with MSW_ERR_IPC_CONNECT and the daemon runs on',
    async (...args) => {
      const {
        project: p,
        status: { pid },
      } = shared()
      await shareConfig(p)
      expect((await stat(p.runtime)).mode & 0o777).toBe(0o700)

      expectPermissionRefusal(await cliAs(NOBODY, p, args), p, args.join(' '))

      await expectUntouched(p, pid)
    },
  )

  it.skipIf(!canSwitchUser)('cannot use it through --json, logs or start either, and the daemon runs on', async () => {
    const {
      project: p,
      status: { pid },
    } = shared()
    await shareConfig(p)
    expect((await stat(p.runtime)).mode & 0o777).toBe(0o700)

    // --json says the same, with the socket in the details.
    const json = await cliAs(NOBODY, p, ['status', '--json'])
    expect(json.exitCode).not.toBe(0)
    expect(JSON.parse(json.stdout)).toMatchObject({ error: { code: 'MSW_ERR_IPC_CONNECT', details: { socket: p.socket } } })

    // `logs` cannot fall back to reading the files either.
    const logs = await cliAs(NOBODY, p, ['logs', '-n', '5'])
    expect(logs.exitCode).not.toBe(0)
    expect(logs.stdout).not.toContain('mswoole started')

    // A start over a running daemon's folder fails without touching it.
    const start = await cliAs(NOBODY, p, ['start'])
    expect(start.exitCode).not.toBe(0)
    expect(start.stderr.trim().split('\n')).toHaveLength(1)
    expect(start.stderr.trim()).toMatch(/\[MSW_ERR_[A-Z_]+\]$/)

    await expectUntouched(p, pid)
  })

  it.skipIf(!canSwitchUser)('is still refused by the socket mode alone when the runtime folder has been opened to others', async () => {
    const {
      project: p,
      status: { pid },
    } = shared()
    await shareConfig(p)
    // An operator's mistake: others may now traverse runtime/ (but not list or write it).
    await chmod(p.runtime, 0o711)

    expectPermissionRefusal(await cliAs(NOBODY, p, ['status']), p, 'status')
    expectPermissionRefusal(await cliAs(NOBODY, p, ['stop']), p, 'stop')
    const logs = await cliAs(NOBODY, p, ['logs', '-n', '5'])
    expect(logs.exitCode).not.toBe(0)
    expect(logs.stdout).not.toContain('mswoole started')

    await chmod(p.runtime, 0o700)
    await expectStillRunning(p, pid)
  })
})

interface RpcAnswer {
  id: string | number | null
  result?: Record<string, unknown>
  error?: { code: number; message: string; data?: { code: string } }
}

// test/ipc/control-socket.test.ts covers a line that is not JSON and a single 1 MiB + 1 write;
// these are the other shapes of garbage a local user's script can send.
describe('garbage on the control socket', () => {
  it('answers binary junk, a nesting bomb, a 2 MiB line sent in pieces and an unprintable param with errors, and keeps serving', async () => {
    const {
      project: p,
      status: { pid },
    } = shared()

    // Bytes that are neither UTF-8 nor JSON: a parse error, and the same connection still works.
    const junk = await RawControl.connect(p.socket)
    const parsed = (await junk.send(Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x7b, 0x00, 0x0d, 0x1b, 0x5b, 0x32, 0x4a]))) as RpcAnswer
    expect(parsed).toMatchObject({ id: null, error: { code: -32700, data: { code: 'MSW_ERR_RPC_PARSE' } } })
    expect(await junk.send('{"jsonrpc":"2.0","id":1,"method":"status"}')).toMatchObject({ id: 1, result: { pid } })

    // Half a million nested arrays in one line under the cap: refused, never a crash.
    const depth = 500_000
    const bomb = await junk.send('['.repeat(depth) + ']'.repeat(depth))
    expect(JSON.stringify(bomb)).toContain('"error"')
    expect(JSON.stringify(bomb)).not.toContain('"result"')

    // The same depth inside params that the daemon would have to serialise to send.
    const nested = 200_000
    const deepParam = (await junk.send(
      `{"jsonrpc":"2.0","id":2,"method":"broadcast","params":{"all":true,"param":${'['.repeat(nested)}${']'.repeat(nested)}}}`,
    )) as RpcAnswer
    expect(deepParam.id).toBe(2)
    expect(deepParam.error).toBeDefined()
    expect(deepParam.result).toBeUndefined()
    expect(await junk.send('{"jsonrpc":"2.0","id":3,"method":"status"}')).toMatchObject({ id: 3, result: { pid } })
    junk.socket.destroy()

    // A 2 MiB line that arrives in 64 KiB pieces: one MSW_ERR_RPC_TOO_LARGE, then the daemon hangs up.
    const big = await RawControl.connect(p.socket)
    const refused = big.lines.next()
    const piece = Buffer.alloc(64 * 1024, 'x')
    for (let i = 0; i < 32 && !big.socket.destroyed; i++) big.socket.write(piece)
    if (!big.socket.destroyed) big.socket.write('\n')
    expect(JSON.parse(await refused)).toMatchObject({ id: null, error: { data: { code: 'MSW_ERR_RPC_TOO_LARGE' } } })
    await big.closed
    expect(big.lines.lines).toHaveLength(1)

    await expectStillRunning(p, pid)
  })
})
