/** The charts BENCHMARKS.md shows, drawn from the results files as SVG. */
import type { ResultsFile } from './results.js'
import type { Comparison, ScenarioResult } from './scenario.js'
import { barChart, type Bar } from './svg-chart.js'

export interface Chart {
  /** File name under bench/charts/. */
  file: string
  alt: string
  svg: string
}

/** The number in a target's words: "≥ 2.00× the plain ws loop" → 2. */
function targetRatio(target: string | undefined): number | undefined {
  const match = /([\d.]+)×/.exec(target ?? '')
  return match ? Number(match[1]) : undefined
}

function labelOf(s: ScenarioResult, id: string): string {
  return s.subjects.find((x) => x.id === id)?.label ?? s.labels?.[id] ?? id
}

/** The scenario's target comparison, and every other comparison of the same metric and subject. */
function headline(s: ScenarioResult): { target: Comparison; peers: Comparison[] } | undefined {
  const target = s.comparisons.find((c) => c.target !== undefined)
  if (target === undefined) return undefined
  return { target, peers: s.comparisons.filter((c) => c.metric === target.metric && c.subject === target.subject) }
}

/** mswoole beside each baseline on the metric its target is set on, with the target drawn in. */
function comparisonChart(s: ScenarioResult): Chart | undefined {
  const found = headline(s)
  if (found === undefined) return undefined
  const { target, peers } = found
  const bars: Bar[] = [
    { label: labelOf(s, target.subject), value: target.value, accent: true },
    ...peers.map((c) => ({ label: labelOf(s, c.baseline), value: c.baselineValue })),
  ]
  const ratio = targetRatio(target.target)
  const title = `${s.title}: ${target.metric}`
  return {
    file: `${s.name}.svg`,
    alt: `${title}, ${bars.map((b) => `${b.label} ${Math.round(b.value)} ${target.unit}`).join(', ')}`,
    svg: barChart({
      title,
      unit: target.unit,
      bars,
      ...(ratio === undefined ? {} : { marker: { value: ratio * target.baselineValue, label: `target ${target.target}` } }),
    }),
  }
}

/** Each scenario's ratio to its target baseline over every stored run, oldest first. */
function historyChart(name: string, all: ResultsFile[]): Chart | undefined {
  const points = [...all].reverse().flatMap((f) => {
    const s = f.results.scenarios.find((x) => x.name === name)
    const found = s === undefined ? undefined : headline(s)
    return found === undefined ? [] : [{ file: f.file.replace(/\.json$/, ''), comparison: found.target }]
  })
  const last = points.at(-1)
  if (last === undefined || points.length < 2) return undefined
  const ratio = targetRatio(last.comparison.target)
  const title = `${name}: mswoole / ${last.comparison.baseline} over the results history`
  return {
    file: `${name}-history.svg`,
    alt: `${title}: ${points.map((p) => `${p.file} ${p.comparison.ratio.toFixed(2)}×`).join(', ')}`,
    svg: barChart({
      title,
      unit: '×',
      bars: points.map((p, i) => ({ label: p.file, value: Number(p.comparison.ratio.toFixed(2)), accent: i === points.length - 1 })),
      ...(ratio === undefined ? {} : { marker: { value: ratio, label: 'target' } }),
    }),
  }
}

/** Charts for the results shown; history only over runs of the same mode (quick figures are not comparable). */
export function renderCharts(shown: ResultsFile, all: ResultsFile[]): Chart[] {
  const sameMode = all.filter((f) => f.results.mode === shown.results.mode)
  return shown.results.scenarios.flatMap((s) =>
    [comparisonChart(s), historyChart(s.name, sameMode)].filter((c): c is Chart => c !== undefined),
  )
}
