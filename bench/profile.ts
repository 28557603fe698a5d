/**
 * CPU profiles of the daemon under the request/reply load, to see where a
 * reply's time goes. The daemon runs in the foreground under `node --cpu-prof`;
 * it and each of its threads write a .cpuprofile when it stops. The heaviest
 * functions of the master and of the workers (summed) go to
 * bench/results/profile-<label>.json, which BENCHMARKS.md shows side by side.
 *
 *   node --import tsx bench/profile.ts --label now [--describe TEXT] [--repo DIR]
 *        [--connections 200] [--seconds 10] [--out DIR]
 *
 * --repo profiles another checkout (built) with this one's load: the earlier
 * commits of a change, for its before and after. Workers are profiled when that
 * checkout passes --cpu-prof on to its worker threads (src/daemon/pool/worker-entry.ts).
 * Needs a build. A profile opens in Chrome DevTools or speedscope for more.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import { parseArgs, promisify } from 'node:util'
import { runLoad } from './load-client.js'
import { isMain } from './lib/is-main.js'
import { benchProject, benchUrls, cleanEnv } from './lib/mswoole-target.js'
import { REPO_ROOT, RESULTS_DIR } from './lib/paths.js'
import { type CpuProfile, type LabelledRun, type ProfileResults, type ThreadProfile, selfTimes, threadRole } from './lib/profiles.js'

const run = promisify(execFile)
const TOP = 10

export async function commitOf(repo: string): Promise<string | null> {
  try {
    return (await run('git', ['rev-parse', 'HEAD'], { cwd: repo })).stdout.trim()
  } catch {
    return null
  }
}

/** Waits for the foreground daemon to answer `status`, and answers its outside port. */
export async function readyPort(cli: string, configDir: string, child: ChildProcess): Promise<number> {
  const deadline = Date.now() + 30_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the daemon exited with ${child.exitCode} before it was ready`)
    const answer = await run(process.execPath, [cli, 'status', '-c', configDir, '--json'], { env: cleanEnv() }).catch(() => undefined)
    const port = answer === undefined ? 0 : (JSON.parse(answer.stdout) as { outside?: { port?: number } }).outside?.port
    if (port) return port
    await delay(200)
  }
  throw new Error('the daemon did not answer status within 30 s')
}

/** The options every profile run takes: its label, what it shows, and the checkout it profiles. */
export const RUN_OPTIONS = {
  label: { type: 'string' },
  describe: { type: 'string', default: '' },
  repo: { type: 'string', default: REPO_ROOT },
} as const

/** The fields that name a run in its results file. */
export async function labelledRun(label: string, describe: string, repo: string, startedAt: string): Promise<LabelledRun> {
  return { label, describe, commit: await commitOf(repo), startedAt, node: process.version }
}

/** The label names the results file: letters, digits, ".", "_" and "-" only. */
export function requireLabel(label: string | undefined): string {
  if (label === undefined || !/^[\w.-]+$/.test(label))
    throw new Error('--label NAME (letters, digits, ".", "_", "-") names the results file')
  return label
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      ...RUN_OPTIONS,
      connections: { type: 'string', default: '200' },
      seconds: { type: 'string', default: '10' },
      out: { type: 'string', default: path.join(REPO_ROOT, '.cache', 'profiles') },
    },
  })
  const label = requireLabel(values.label)
  const repo = path.resolve(values.repo)
  const connections = Number(values.connections)
  const seconds = Number(values.seconds)
  const out = path.resolve(values.out, label)
  await rm(out, { recursive: true, force: true })
  await mkdir(out, { recursive: true })

  const project = await benchProject({ app: path.join(repo, 'app') })
  const cli = path.join(repo, 'bin', 'run.js')
  const startedAt = new Date().toISOString()
  const child = spawn(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${out}`, cli, 'start', '--foreground', '-c', project.configDir], {
    cwd: project.root,
    env: cleanEnv(),
    stdio: 'ignore',
  })
  let requestsPerSecond: number
  try {
    const port = await readyPort(cli, project.configDir, child)
    const urls = await benchUrls(port, connections)
    const result = await runLoad({ url: (i) => urls[i % urls.length]!, connections, duration: seconds, warmup: 2 })
    requestsPerSecond = result.requestsPerSecond
  } finally {
    // SIGTERM stops it as `mswoole stop` would; every thread writes its profile as it exits.
    if (child.exitCode === null) {
      child.kill('SIGTERM')
      await once(child, 'exit')
    }
    await rm(project.root, { recursive: true, force: true })
  }

  const threads: ThreadProfile[] = []
  for (const file of (await readdir(out)).filter((name) => name.endsWith('.cpuprofile')).sort()) {
    const profile = JSON.parse(await readFile(path.join(out, file), 'utf8')) as CpuProfile
    threads.push({ file, role: threadRole(file, profile), times: selfTimes(profile) })
  }
  const results: ProfileResults = {
    kind: 'profile',
    ...(await labelledRun(label, values.describe, repo, startedAt)),
    connections,
    seconds,
    requestsPerSecond,
    ...summarise(threads),
  }
  await mkdir(RESULTS_DIR, { recursive: true })
  const file = path.join(RESULTS_DIR, `profile-${label}.json`)
  await writeFile(file, `${JSON.stringify(results, null, 2)}\n`)
  process.stdout.write(
    `${requestsPerSecond} req/s; master busy ${results.master.busyMs} ms, workers ${results.workers.busyMs} ms; ${file}\n`,
  )
}

/** The master's top functions, and the workers' summed: loader-hook threads are left out. */
function summarise(threads: ThreadProfile[]): Pick<ProfileResults, 'master' | 'workers'> {
  const pick = (role: ThreadProfile['role']) => {
    const totals = new Map<string, number>()
    for (const thread of threads.filter((t) => t.role === role))
      for (const t of thread.times) if (t.name !== '(idle)') totals.set(t.name, (totals.get(t.name) ?? 0) + t.ms)
    const busyMs = [...totals.values()].reduce((sum, ms) => sum + ms, 0)
    const top = [...totals]
      .sort((a, b) => b[1] - a[1])
      .slice(0, TOP)
      .map(([name, ms]) => ({ name, ms: Math.round(ms), share: busyMs === 0 ? 0 : Math.round((ms / busyMs) * 1000) / 10 }))
    return { threads: threads.filter((t) => t.role === role).length, busyMs: Math.round(busyMs), top }
  }
  return { master: pick('master'), workers: pick('worker') }
}

if (isMain(import.meta.url)) await main()
