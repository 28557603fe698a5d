/**
 * The soak's results file, bench/results/soak-<date>.json (soak-<date>-quick.json for --quick),
 * apart from the bench's own files so that neither run replaces the other's figures; and the
 * newest one, for BENCHMARKS.md (read synchronously: the report renders in one pass).
 */
import { readdirSync, readFileSync } from 'node:fs'
import { rename, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { RESULTS_DIR } from '../lib/paths.js'
import type { RunHeader } from '../lib/results.js'
import type { Check } from '../lib/scenario.js'
import type { BroadcastAccount } from './broadcast-accounting.js'
import type { ClientCounts } from './churn-client.js'
import type { LogFindings } from './crash-check.js'
import type { LeakVerdict } from './leak-verdict.js'
import type { MemorySample } from './memory-sampler.js'
import type { SoakOptions } from './options.js'
import type { ReloadRecord } from './reloader.js'

export interface SoakResults extends RunHeader {
  kind: 'soak'
  command: string
  options: SoakOptions
  /** The daemon's config/app.json (its app path made relative). */
  appJson: Record<string, unknown>
  /** Seconds of load, as it ran. */
  loadSeconds: number
  client: ClientCounts
  /** Sockets still owed a reply when the drain ended. */
  unansweredAfterDrain: number
  broadcasts: BroadcastAccount & { skipped: number; writtenByDaemon: number }
  reloads: { done: number; failed: number; durationMs: { min: number; median: number; max: number } | null; records: ReloadRecord[] }
  /** sampleFailures: samples the daemon did not answer (status through the manager port, or debug.gc on the control socket). */
  memory: { samples: MemorySample[]; sampleFailures: number; gcUnavailable: string | null; verdict: LeakVerdict | null }
  crashes: {
    daemonPid: number
    /** A sample's status answered with another pid, or the pid was gone at the end. */
    pidChanged: boolean
    daemonAliveAtEnd: boolean
    /** mswoole_worker_restarts_total and mswoole_reloads_total at the end; the first is the deaths the metrics witness. */
    workerRestartsMetric: number | null
    reloadsMetric: number | null
    workerDeathsByMetrics: number | null
    log: LogFindings
    daemonOut: string
    total: number
  }
  /** The daemon's CPU over the load (all its threads), from /proc. */
  daemonCores: number | null
  lost: { requests: number; acks: number; broadcasts: number; connections: number; total: number }
  checks: Check[]
  passed: boolean
  verdict: string
}

const NAME = /^soak-(\d{4}-\d{2}-\d{2})(-quick)?\.json$/

export function soakFileName(date: string, mode: 'full' | 'quick'): string {
  return mode === 'full' ? `soak-${date}.json` : `soak-${date}-quick.json`
}

export async function writeSoakResults(results: SoakResults): Promise<string> {
  const file = path.join(RESULTS_DIR, soakFileName(results.date, results.mode))
  const tmp = `${file}.tmp` // .gitignore'd; the rename makes the write all-or-nothing
  await writeFile(tmp, `${JSON.stringify(results, null, 2)}\n`)
  await rename(tmp, file)
  return file
}

/** The newest full soak, or the newest quick one when there is no full one; undefined when none is stored. */
export function latestSoak(dir = RESULTS_DIR): { file: string; results: SoakResults } | undefined {
  let names: string[]
  try {
    names = readdirSync(dir).filter((n) => NAME.test(n))
  } catch {
    return undefined
  }
  const newest = (quick: boolean) =>
    names
      .filter((n) => n.endsWith('-quick.json') === quick)
      .sort()
      .reverse()
  for (const name of [...newest(false), ...newest(true)]) {
    try {
      const results = JSON.parse(readFileSync(path.join(dir, name), 'utf8')) as SoakResults
      if (results.kind === 'soak') return { file: name, results }
    } catch {
      // A truncated or hand-edited file is skipped, as the bench's own are.
    }
  }
  return undefined
}
