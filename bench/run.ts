/**
 * Runs every scenario in bench/scenarios/index.ts, writes bench/results/<date>.json
 * (or <date>-quick.json) and regenerates BENCHMARKS.md.
 *
 *   npm run bench                 full run
 *   npm run bench -- --quick      under two minutes
 *   npm run bench -- --report-only   regenerate BENCHMARKS.md from the stored results
 *   npm run bench -- --only fan-out  run one scenario (repeatable) and merge it into today's results
 *                                    file of that mode, the other scenarios kept as measured
 *
 * Needs a build (`npm run build`): mswoole is started through bin/run.js, which runs dist/.
 */
import { existsSync } from 'node:fs'
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { runEntry } from './lib/entry.js'
import { renderCharts } from './lib/charts.js'
import { BENCHMARKS_MD, CHARTS_DIR, REPO_ROOT } from './lib/paths.js'
import { renderBenchmarks } from './lib/report.js'
import { gitState, localDate, machine } from './lib/run-info.js'
import { listResults, mergeResults, pickForReport, readResults, writeResults, type BenchResults } from './lib/results.js'
import type { ScenarioResult } from './lib/scenario.js'
import { SCENARIOS } from './scenarios/index.js'

function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`)
}

async function regenerateReport(): Promise<void> {
  const all = await listResults()
  const shown = pickForReport(all)
  if (shown === undefined) {
    log('no results in bench/results/ yet; run npm run bench first')
    return
  }
  const charts = renderCharts(shown, all)
  // The folder holds exactly the charts of this report: stale ones go.
  await mkdir(CHARTS_DIR, { recursive: true })
  for (const name of await readdir(CHARTS_DIR)) if (name.endsWith('.svg')) await rm(path.join(CHARTS_DIR, name))
  for (const chart of charts) await writeFile(path.join(CHARTS_DIR, chart.file), chart.svg)
  await writeFile(BENCHMARKS_MD, renderBenchmarks(shown, all, charts))
  log(`BENCHMARKS.md regenerated from bench/results/${shown.file}`)
}

/** The arguments after `npm run bench` that reproduce this run. */
function benchArgs(mode: 'full' | 'quick', only: string[]): string {
  const args = [...(mode === 'quick' ? ['--quick'] : []), ...only.flatMap((name) => ['--only', name])]
  return args.length === 0 ? '' : ` -- ${args.join(' ')}`
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      'report-only': { type: 'boolean', default: false },
      only: { type: 'string', multiple: true },
    },
  })
  if (values['report-only']) {
    await regenerateReport()
    return 0
  }
  const only = values.only ?? []
  const unknown = only.filter((name) => !SCENARIOS.some((s) => s.name === name))
  if (unknown.length > 0) {
    log(`no scenario named ${unknown.join(', ')}; the scenarios are ${SCENARIOS.map((s) => s.name).join(', ')}`)
    return 2
  }
  const selected = only.length === 0 ? SCENARIOS : SCENARIOS.filter((s) => only.includes(s.name))
  if (!existsSync(path.join(REPO_ROOT, 'dist', 'commands', 'start.js'))) {
    log('dist/ is missing: run `npm run build` first (mswoole is started through its built CLI)')
    return 1
  }
  const mode = values.quick ? 'quick' : 'full'
  const started = new Date()
  const results: BenchResults = {
    schema: 1,
    date: localDate(started),
    mode,
    startedAt: started.toISOString(),
    finishedAt: '',
    machine: machine(),
    git: await gitState(),
    commands: ['npm ci', 'npm run build', `npm run bench${benchArgs(mode, only)}`],
    scenarios: [],
    failures: [],
  }
  if (results.git !== null) results.commands.unshift(`git checkout ${results.git.commit}`)
  log(`${mode} run on ${results.machine.cpuModel} × ${results.machine.cpuCount}, Node ${results.machine.node}`)
  for (const scenario of selected) {
    log(`scenario ${scenario.name}`)
    try {
      const result: ScenarioResult = await scenario.run({ quick: values.quick, log: (m) => log(`  ${m}`) })
      results.scenarios.push(result)
      log(`  ${result.verdict}`)
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err)
      results.failures.push({ name: scenario.name, error: message })
      log(`  failed: ${message}`)
    }
  }
  results.finishedAt = new Date().toISOString()
  const base = only.length === 0 ? undefined : await readResults(results.date, mode)
  if (only.length > 0 && base === undefined) log(`no ${mode} results for ${results.date} yet: the file holds only ${only.join(', ')}`)
  const merged =
    base === undefined
      ? results
      : mergeResults(
          base,
          results,
          SCENARIOS.map((s) => s.name),
        )
  const file = await writeResults(merged)
  log(`results written to ${path.relative(REPO_ROOT, file)}`)
  await regenerateReport()
  return results.failures.length > 0 ? 1 : 0
}

runEntry(main, log)
