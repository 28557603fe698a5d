import { mkdtemp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

/** The project's sample application, from its TypeScript sources. */
export const SAMPLE_APP = fileURLToPath(new URL('../../app', import.meta.url))

/**
 * What test daemons run unless told otherwise: the sample application as the
 * run's global setup built it in JavaScript (test/setup/apps-in-js.ts), or
 * its sources when a file runs without that setup.
 */
export const TEST_APP = process.env.MSW_TEST_APP ?? SAMPLE_APP

/** The test controllers (test/fixtures/app: Probe and others), from their sources. */
export const FIXTURE_APP_SOURCES = fileURLToPath(new URL('../fixtures/app', import.meta.url))

/** The test controllers as daemons run them: the run's JavaScript build, as for TEST_APP. */
export const FIXTURE_APP = process.env.MSW_TEST_FIXTURE_APP ?? FIXTURE_APP_SOURCES

/** A throwaway project folder: config/ with app.json on free ports (0), runtime/ beside it. */
export interface Project {
  root: string
  configDir: string
  runtime: string
  pidFile: string
  socket: string
  logFile: string
  remove(): Promise<void>
}

export type AppJson = Record<string, unknown>

export async function makeProject(app: AppJson = {}): Promise<Project> {
  const root = await mkdtemp(path.join(tmpdir(), 'msw-'))
  const configDir = path.join(root, 'config')
  await mkdir(configDir)
  const merged = {
    app: TEST_APP,
    ...app,
    // One worker thread unless a test asks for more: each costs a daemon start most of a
    // second of CPU, and the suites about workers (reload, routing, status) ask for theirs.
    // For the same reason no standby generation, unless the test is about reloads (reload.test.ts).
    setting: { worker_num: 1, reload_standby: false, ...(app.setting as object | undefined) },
    outside: { host: '127.0.0.1', port: 0, ...(app.outside as object | undefined) },
    // An explicit empty key (the open mode, loopback only) unless a test gives one: tests of
    // the generated key leave it out with `manager: { key: undefined }`.
    manager: { host: '127.0.0.1', port: 0, key: '', ...(app.manager as object | undefined) },
  }
  await writeFile(path.join(configDir, 'app.json'), JSON.stringify(merged, null, 2))
  const runtime = path.join(root, 'runtime')
  return {
    root,
    configDir,
    runtime,
    pidFile: path.join(runtime, 'mswoole.pid'),
    socket: path.join(runtime, 'mswoole.sock'),
    logFile: path.join(runtime, 'logs', 'mswoole.log'),
    remove: () => rm(root, { recursive: true, force: true }),
  }
}

/** Pids of live processes whose command line names `text` (e.g. a project's folder). */
export async function processesMentioning(text: string): Promise<number[]> {
  const found: number[] = []
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue
    try {
      const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8')
      if (cmdline.includes(text)) found.push(Number(entry))
    } catch {
      // The process ended while we looked.
    }
  }
  return found
}

export async function readLogLines(project: Project): Promise<Array<Record<string, unknown>>> {
  const text = await readFile(project.logFile, 'utf8')
  return text
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as Record<string, unknown>)
}
