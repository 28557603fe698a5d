/** Where a bench run ran and on which code: what every results file records about itself. */
import { execFile } from 'node:child_process'
import os from 'node:os'
import { promisify } from 'node:util'
import { REPO_ROOT } from './paths.js'
import type { Machine } from './results.js'

const exec = promisify(execFile)

/** The local calendar date, as the bench's results files are named. */
export function localDate(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`
}

export function machine(): Machine {
  const cpus = os.cpus()
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cpuCount: cpus.length,
    memoryBytes: os.totalmem(),
    node: process.version,
    platform: os.platform(),
    release: os.release(),
    arch: os.arch(),
    loadAverage: os.loadavg()[0] ?? 0,
  }
}

/** Read-only git queries: the commit, and whether the daemon's code had uncommitted changes. */
export async function gitState(): Promise<{ commit: string; dirty: boolean } | null> {
  try {
    const { stdout: commit } = await exec('git', ['rev-parse', 'HEAD'], { cwd: REPO_ROOT })
    const { stdout: status } = await exec('git', ['status', '--porcelain', '--', 'src', 'app', 'bin', 'package.json'], { cwd: REPO_ROOT })
    return { commit: commit.trim(), dirty: status.trim().length > 0 }
  } catch {
    return null
  }
}
