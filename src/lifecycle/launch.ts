import path from 'node:path'
import { execa } from 'execa'
import type { Config } from '../config/load.js'
import { MswError, errorFromJSON } from '../errors.js'
import type { StatusResult } from '../contracts/control-api.js'
import { removeFiles } from '../daemon/runtime/pid-file.js'
import { ensureRuntimeDir } from '../daemon/runtime/runtime-dir.js'
import { removeLockOf } from '../daemon/runtime/start-lock.js'
import { openAppendNoFollow } from '../daemon/logging/no-follow.js'
import type { ReadyMessage, StartWarning } from '../contracts/ready-message.js'
import { daemonEntryArgs } from './daemon-entry.js'
import { evidenceText, gatherEvidence, markFiles } from './start-evidence.js'
import { killHard, waitForExit } from './wait-exit.js'

export interface LaunchOptions {
  /** How long to wait for the daemon to report ready. */
  timeoutMs: number
  /** Run the daemon with node's --expose-gc, which enables the debug.gc control method (benchmarks). */
  exposeGc?: boolean
}

/** A daemon that reported ready: its status, and what it warns of (start-warnings.ts). */
export interface Launched {
  status: StatusResult
  warnings: StartWarning[]
}

type Outcome =
  | { kind: 'message'; message: ReadyMessage }
  | { kind: 'exit'; exitCode: number | undefined; signal: string | undefined }
  | { kind: 'timeout' }

/**
 * Spawns the daemon detached and waits for its one report. On any failure the
 * child is gone before this returns, so a failed start leaves no process (and
 * no start lock) behind, and the error carries what the daemon wrote.
 */
export async function launchDaemon(config: Config, options: LaunchOptions): Promise<Launched> {
  const { paths } = config
  await ensureRuntimeDir(paths.runtime, paths.logDir)
  // What the daemon prints before its logger exists (or a native crash) lands here.
  const outFile = path.join(paths.logDir, 'daemon.out')
  // Never through a link planted there: the daemon may run as root.
  const out = await openAppendNoFollow(outFile)
  // Only what this start writes tells why it failed.
  const marks = await markFiles(outFile, paths.logFile)
  // execa's types spell fds out as literals; at run time any open fd is handed to spawn as it is.
  const outFd = out.fd as 3
  const nodeArgs = options.exposeGc === true ? ['--expose-gc'] : []
  const child = execa(process.execPath, [...nodeArgs, ...daemonEntryArgs(), '--config', config.dir], {
    cwd: config.baseDir,
    detached: true,
    cleanup: false,
    reject: false,
    ipc: true,
    stdin: 'ignore',
    stdout: outFd,
    stderr: outFd,
  })
  await out.close()

  let timer: NodeJS.Timeout | undefined
  const outcome: Outcome = await Promise.race([
    child.getOneMessage().then((message: unknown): Outcome => ({ kind: 'message', message: message as ReadyMessage })),
    child.then((result): Outcome => ({ kind: 'exit', exitCode: result.exitCode, signal: result.signal })),
    new Promise<Outcome>((resolve) => (timer = setTimeout(() => resolve({ kind: 'timeout' }), options.timeoutMs))),
  ]).catch((): Outcome => ({ kind: 'exit', exitCode: undefined, signal: undefined }))
  clearTimeout(timer)

  if (outcome.kind === 'message' && outcome.message.type === 'ready') {
    child.disconnect()
    child.unref()
    return { status: outcome.message.status, warnings: outcome.message.warnings }
  }
  const pid = child.pid
  if (outcome.kind === 'message' && outcome.message.type === 'error') {
    if (pid !== undefined && !(await waitForExit(pid, 5000))) await killHard(pid)
    if (pid !== undefined) await removeLockOf(paths.lockFile, pid)
    throw errorFromJSON(outcome.message.error)
  }
  if (outcome.kind === 'timeout' && pid !== undefined) await killHard(pid)
  // Killed mid-start (or dead of a crash), the daemon could not remove its start lock.
  if (pid !== undefined) await removeLockOf(paths.lockFile, pid)
  if (outcome.kind === 'timeout') await removeFiles(paths.pidFile, paths.socket)
  const evidence = await gatherEvidence(outFile, paths.logFile, marks)
  if (outcome.kind === 'timeout') {
    const seconds = options.timeoutMs / 1000
    const hint = `the daemon did not report ready within ${seconds} s (a slow application load needs a longer --timeout)`
    throw new MswError('MSW_ERR_START_TIMEOUT', `${hint}${evidenceText(evidence)}`, {
      details: { ...evidence },
    })
  }
  const how =
    outcome.kind === 'exit' && outcome.signal
      ? `was killed by ${outcome.signal}`
      : `exited${outcome.kind === 'exit' && outcome.exitCode !== undefined ? ` with code ${outcome.exitCode}` : ''}`
  throw new MswError('MSW_ERR_START_FAILED', `the daemon ${how} before it was ready${evidenceText(evidence)}`, { details: { ...evidence } })
}
