/**
 * What a scenario is, and what it hands back. A scenario is one file under
 * bench/scenarios/ exporting a `Scenario`, listed in bench/scenarios/index.ts;
 * bench/run.ts runs them in order and the report renders any of them the same way.
 */
import type { LoadResult } from '../load-client.js'
import type { CpuFigures } from './cpu.js'

/** One load run against one subject, with the CPU it cost (null where /proc is missing). */
export interface Round {
  load: LoadResult
  cpu: CpuFigures | null
  /** Cores busy with other work just before the round (the quiet gate's last reading). */
  otherCoresBefore: number | null
}

export interface ScenarioContext {
  /** `--quick`: fewer connections and seconds, for a check under two minutes. */
  quick: boolean
  log(message: string): void
}

/** One thing measured: mswoole, or a floor it is compared with. */
export interface Subject {
  id: string
  label: string
  /** The round reported (the median by throughput). */
  median: Round
  /** Every round, in the order they ran. */
  rounds: Round[]
  /** How this subject was started, for someone reproducing it by hand. */
  command: string
}

export interface Comparison {
  metric: string
  unit: string
  /** Subject ids: `subject` is measured against `baseline`. */
  subject: string
  baseline: string
  value: number
  baselineValue: number
  /** value / baselineValue. */
  ratio: number
  /** Whether a higher value is the better one (throughput) or a lower one (latency, CPU). */
  higherIsBetter: boolean
  /** The target in words, e.g. "≥ 1.00× the plain ws floor". */
  target?: string
  met?: boolean
}

/** A target that is a count or a limit rather than a ratio to a baseline (e.g. "0 dropped requests"). */
export interface Check {
  metric: string
  value: number
  unit: string
  /** The target in words, e.g. "= 0". */
  target: string
  met: boolean
}

/** A table of a scenario's own figures, rendered under its load figures as it is. */
export interface Table {
  /** A sentence before the table. */
  caption: string
  columns: string[]
  /** Which columns hold numbers (right-aligned); by index. */
  numeric?: boolean[]
  rows: Array<Array<string | number>>
}

export interface ScenarioResult {
  name: string
  title: string
  /** One paragraph: what is measured, and how. */
  description: string
  params: Record<string, unknown>
  /** Load subjects; empty for a scenario that measures no server (its figures are in `tables`). */
  subjects: Subject[]
  /** Display names of subject ids that `comparisons` use and `subjects` does not hold (a scenario whose figures are in `tables`). */
  labels?: Record<string, string>
  comparisons: Comparison[]
  /** Targets that are not ratios; a scenario may have these instead of a target comparison. */
  checks?: Check[]
  tables?: Table[]
  /** A few words for the summary when the scenario has no target. */
  headline?: string
  /** One plain sentence on the target, met or missed, with the figures. */
  verdict: string
  notes: string[]
}

export interface Scenario {
  name: string
  title: string
  run(ctx: ScenarioContext): Promise<ScenarioResult>
}

/** The round with the median throughput: one slow or lucky round does not set the figure. */
export function medianRound(rounds: Round[]): Round {
  if (rounds.length === 0) throw new Error('medianRound: no rounds')
  const sorted = [...rounds].sort((a, b) => a.load.requestsPerSecond - b.load.requestsPerSecond)
  return sorted[Math.floor((sorted.length - 1) / 2)]!
}
