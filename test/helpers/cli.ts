import { fileURLToPath } from 'node:url'
import { execa, type Options } from 'execa'
import { afterAll, afterEach, beforeAll } from 'vitest'
import { readPidFile } from '../../src/daemon/runtime/pid-file.js'
import { withDaemon } from '../../src/ipc/client.js'
import type { StatusResult } from '../../src/contracts/control-api.js'
import { waitForExit } from '../../src/lifecycle/wait-exit.js'
import { makeProject, processesMentioning, type AppJson, type Project } from './project.js'

export const BIN = fileURLToPath(new URL('../../bin/run.js', import.meta.url))

/** How long a cleanup waits for the stop's answer, and then for the exit. */
const STOP_ANSWER_MS = 7000

export interface CliResult {
  exitCode: number
  stdout: string
  stderr: string
}

/** Runs the built `mswoole` CLI against a project, as an operator would. */
export async function cli(project: Project, args: string[], options: Options = {}): Promise<CliResult> {
  const result = await execa(process.execPath, [BIN, ...args, '-c', project.configDir], {
    reject: false,
    stdin: 'ignore',
    ...options,
    env: { ...(options.env as Record<string, string> | undefined) },
  })
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) }
}

export async function cliJson<T>(
  project: Project,
  args: string[],
  options: Options = {},
): Promise<{ exitCode: number; json: T; stderr: string }> {
  const result = await cli(project, [...args, '--json'], options)
  let json: T
  try {
    json = JSON.parse(result.stdout) as T
  } catch {
    throw new Error(`mswoole ${args.join(' ')} --json printed no JSON (exit ${result.exitCode}):\n${result.stdout}\n${result.stderr}`)
  }
  return { exitCode: result.exitCode, json, stderr: result.stderr }
}

export async function startDaemon(project: Project, options: Options = {}): Promise<StatusResult> {
  const { exitCode, json, stderr } = await cliJson<StatusResult>(project, ['start'], options)
  if (exitCode !== 0) throw new Error(`mswoole start failed (${exitCode}): ${stderr}`)
  return json
}

/**
 * Stops whatever a test left running in the project and removes its folder.
 * The stop goes over the control socket, not through a CLI process (most of a
 * CPU-second each, and every test ends with one); `mswoole stop` has its own suite.
 */
export async function cleanupProject(project: Project): Promise<void> {
  const pid = await readPidFile(project.pidFile).catch(() => undefined)
  try {
    await withDaemon(project.socket, (client) => client.call('stop', { timeout: 2 }, { timeoutMs: STOP_ANSWER_MS }))
    if (pid !== undefined) await waitForExit(pid, STOP_ANSWER_MS)
  } catch {
    // Not running, or not answering: what is left is killed below.
  }
  for (const pid of await processesMentioning(project.root)) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {
      // Already gone.
    }
  }
  await project.remove()
}

/** A project factory for one test file: what it makes is stopped and removed after each test. */
export function useProjects(): (app?: AppJson) => Promise<Project> {
  const projects: Project[] = []
  afterEach(async () => {
    await Promise.all(projects.splice(0).map(cleanupProject))
  })
  return async (app = {}) => {
    const project = await makeProject(app)
    projects.push(project)
    return project
  }
}

export interface SharedDaemon {
  project: Project
  status: StatusResult
}

/**
 * One daemon for the tests of a file (or describe block) that only read from it,
 * or each work in rooms and uids of their own: started before the first test,
 * stopped after the last. The getter fails when called outside those tests.
 */
export function useSharedDaemon(app: AppJson = {}): () => SharedDaemon {
  let shared: SharedDaemon | undefined
  let made: Project | undefined
  beforeAll(async () => {
    made = await makeProject(app)
    shared = { project: made, status: await startDaemon(made) }
  })
  afterAll(async () => {
    if (made) await cleanupProject(made)
  })
  return () => {
    if (!shared) throw new Error('the shared daemon is not running: use it inside the tests of the block that declared it')
    return shared
  }
}
