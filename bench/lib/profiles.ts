/** Reading V8 CPU profiles (`node --cpu-prof`) for bench/profile.ts, and the shape of its results file. */

export interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number } }>
  samples: number[]
  timeDeltas: number[]
}

export interface SelfTime {
  name: string
  ms: number
}

export interface ThreadProfile {
  file: string
  role: 'master' | 'worker' | 'loader'
  times: SelfTime[]
}

export interface ProfileTop {
  threads: number
  busyMs: number
  /** The heaviest functions by self time; share is a percentage of the busy time. */
  top: Array<{ name: string; ms: number; share: number }>
}

/** What names a profile run of either kind: its label, what it shows, where and when it was taken. */
export interface LabelledRun {
  label: string
  describe: string
  commit: string | null
  startedAt: string
  node: string
}

export interface ProfileResults extends LabelledRun {
  kind: 'profile'
  connections: number
  seconds: number
  requestsPerSecond: number
  master: ProfileTop
  workers: ProfileTop
}

/** Self time per function (name, file and line), heaviest first; `(idle)` included. */
export function selfTimes(profile: CpuProfile): SelfTime[] {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]))
  const totals = new Map<string, number>()
  profile.samples.forEach((id, i) => {
    const node = byId.get(id)
    if (node === undefined) return
    const { functionName, url, lineNumber } = node.callFrame
    const where = url === '' ? '' : ` ${url.replace(/^.*\/(node_modules|dist|src)\//, '$1/')}:${lineNumber + 1}`
    const name = `${functionName || '(anonymous)'}${where}`
    totals.set(name, (totals.get(name) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000)
  })
  return [...totals].map(([name, ms]) => ({ name, ms })).sort((a, b) => b.ms - a.ms)
}

/**
 * The main thread's file has thread id 0 (CPU.<date>.<time>.<pid>.<tid>.<seq>.cpuprofile);
 * a worker thread ran the worker's own modules; any other thread is a module-loader hook thread.
 */
export function threadRole(file: string, profile: CpuProfile): ThreadProfile['role'] {
  if (file.split('.')[4] === '0') return 'master'
  const isWorker = profile.nodes.some(({ callFrame: { url } }) => /\/worker\/(main|dispatcher)\.(js|ts)$/.test(url))
  return isWorker ? 'worker' : 'loader'
}
