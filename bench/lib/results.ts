/** The results file bench/run.ts writes, one per day and mode, and how to find the newest. */
import { readdir, readFile, rename, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { RESULTS_DIR } from './paths.js'
import type { ScenarioResult } from './scenario.js'

export interface Machine {
  cpuModel: string
  cpuCount: number
  memoryBytes: number
  node: string
  platform: string
  release: string
  arch: string
  /** 1-minute load average when the run began: a busy machine shows here. */
  loadAverage: number
}

/** What every results file says about when, where and on which code it ran. */
export interface RunHeader {
  schema: 1
  date: string
  mode: 'full' | 'quick'
  startedAt: string
  finishedAt: string
  machine: Machine
  git: { commit: string; dirty: boolean } | null
}

export interface BenchResults extends RunHeader {
  /** What reproduces this file, from a fresh clone at `git.commit`. */
  commands: string[]
  scenarios: ScenarioResult[]
  /** Scenarios that threw, so one broken scenario does not hide the others. */
  failures: Array<{ name: string; error: string }>
  /** Scenarios measured later by `--only` and merged into this file, each with when and at which commit. */
  partialRuns?: PartialRun[]
}

export interface PartialRun {
  scenarios: string[]
  startedAt: string
  finishedAt: string
  git: { commit: string; dirty: boolean } | null
  loadAverage: number
  command: string
  /** What this file showed for those scenarios before (the full run's verdicts, as a rule), so a rerun never hides a miss. */
  replaced?: Array<{ name: string; startedAt: string; verdict: string }>
}

/**
 * Puts `run`'s scenarios into `base`, replacing those of the same name, in `order`. A scenario
 * that failed in `run` keeps its earlier figures in `base`, and its failure is listed.
 */
export function mergeResults(base: BenchResults, run: BenchResults, order: readonly string[]): BenchResults {
  const measured = new Set(run.scenarios.map((s) => s.name))
  const ran = new Set([...measured, ...run.failures.map((f) => f.name)])
  // An earlier partial run stays listed while a scenario it measured is still shown; one that
  // goes hands on what it had replaced, so the first figures of a scenario stay named.
  const stays = (p: PartialRun) => p.scenarios.some((n) => !measured.has(n))
  const handedOn = (base.partialRuns ?? []).filter((p) => !stays(p)).flatMap((p) => p.replaced ?? [])
  const scenarios = [...base.scenarios.filter((s) => !measured.has(s.name)), ...run.scenarios].sort(
    (a, b) => order.indexOf(a.name) - order.indexOf(b.name),
  )
  const partial: PartialRun = {
    scenarios: [...ran],
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    git: run.git,
    loadAverage: run.machine.loadAverage,
    command: run.commands.at(-1) ?? '',
    replaced: base.scenarios
      .filter((s) => measured.has(s.name))
      .flatMap((s) => [
        ...handedOn.filter((r) => r.name === s.name),
        { name: s.name, startedAt: shownSince(base, s.name), verdict: s.verdict },
      ]),
  }
  return {
    ...base,
    scenarios,
    failures: [...base.failures.filter((f) => !ran.has(f.name)), ...run.failures],
    partialRuns: [...(base.partialRuns ?? []).filter(stays), partial],
  }
}

/** When the figures `base` shows for a scenario were taken: by its latest partial run that measured it, else by the run itself. */
function shownSince(base: BenchResults, name: string): string {
  return (base.partialRuns ?? []).findLast((p) => p.scenarios.includes(name))?.startedAt ?? base.startedAt
}

export async function readResults(date: string, mode: 'full' | 'quick'): Promise<BenchResults | undefined> {
  try {
    return JSON.parse(await readFile(path.join(RESULTS_DIR, resultsFileName(date, mode)), 'utf8')) as BenchResults
  } catch {
    return undefined
  }
}

export function resultsFileName(date: string, mode: 'full' | 'quick'): string {
  // A quick check never overwrites the day's full figures.
  return mode === 'full' ? `${date}.json` : `${date}-quick.json`
}

export async function writeResults(results: BenchResults): Promise<string> {
  const file = path.join(RESULTS_DIR, resultsFileName(results.date, results.mode))
  const tmp = `${file}.tmp` // .gitignore'd; the rename makes the write all-or-nothing
  await writeFile(tmp, `${JSON.stringify(results, null, 2)}\n`)
  await rename(tmp, file)
  return file
}

export interface ResultsFile {
  file: string
  results: BenchResults
}

/** Every results file, newest date first (full before quick on the same day). */
export async function listResults(): Promise<ResultsFile[]> {
  let names: string[]
  try {
    names = await readdir(RESULTS_DIR)
  } catch {
    return []
  }
  const files = names
    .filter((n) => /^\d{4}-\d{2}-\d{2}(-quick)?\.json$/.test(n))
    .sort()
    .reverse()
  const out: ResultsFile[] = []
  for (const name of files) {
    try {
      out.push({ file: name, results: JSON.parse(await readFile(path.join(RESULTS_DIR, name), 'utf8')) as BenchResults })
    } catch {
      // A hand-edited or truncated file is skipped, not fatal to the report.
    }
  }
  return out.sort((a, b) => b.results.date.localeCompare(a.results.date) || (a.results.mode === 'full' ? -1 : 1))
}

/** What BENCHMARKS.md shows: the newest full run, or the newest quick one when no full run exists. */
export function pickForReport(all: ResultsFile[]): ResultsFile | undefined {
  return all.find((r) => r.results.mode === 'full') ?? all[0]
}
