/** Renders BENCHMARKS.md from a results file; the markdown is never edited by hand. */
import { latestSoak } from '../soak/results-file.js'
import { soakSection, soakSummaryRow } from '../soak/report-section.js'
import type { Chart } from './charts.js'
import { heapProfileSection, storedHeapProfiles } from './heap-profile-section.js'
import type { HeapProfileResults } from './heap-snapshots.js'
import { profileSection, storedProfiles } from './profile-section.js'
import type { ProfileResults } from './profiles.js'
import type { BenchResults, ResultsFile } from './results.js'
import type { Check, Comparison, ScenarioResult, Subject, Table } from './scenario.js'

const int = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 })

function fmt(value: number, unit: string): string {
  if (unit === 'req/s' || unit === 'deliveries/s') return `${int.format(value)} ${unit}`
  if (unit === 'ms') return `${value.toFixed(value < 10 ? 2 : 1)} ms`
  if (unit === 'µs') return `${value.toFixed(1)} µs`
  return `${value} ${unit}`
}

function metCell(c: Comparison): string {
  if (c.met === undefined) return '—'
  return c.met ? 'met' : '**missed**'
}

function gib(bytes: number): string {
  return `${(bytes / 1024 ** 3).toFixed(1)} GiB`
}

function subjectRow(s: Subject): string {
  const r = s.median.load
  const c = s.median.cpu
  const cpu = c === null ? '— | — | — | —' : `${c.serverMicrosPerReply} | ${c.serverCores} | ${c.clientCores} | ${c.otherCores}`
  const rounds = s.rounds.map((x) => int.format(x.load.requestsPerSecond)).join(', ')
  const ms = (v: number) => v.toFixed(2)
  return `| ${s.label} | ${int.format(r.requestsPerSecond)} | ${ms(r.latency.p50)} | ${ms(r.latency.p90)} | ${ms(r.latency.p99)} | ${ms(r.latency.max)} | ${r.errors.total} | ${r.unexpectedCloses} | ${cpu} | ${rounds} |`
}

function comparisonRow(c: Comparison, labels: Map<string, string>): string {
  return `| ${c.metric} | ${fmt(c.value, c.unit)} | ${fmt(c.baselineValue, c.unit)} (${labels.get(c.baseline) ?? c.baseline}) | ${c.ratio.toFixed(2)}× | ${c.target ?? '—'} | ${metCell(c)} |`
}

/** The comparison table's head: mswoole against the floor as before; one subject against others by its label. */
function comparisonHead(comparisons: Comparison[], labels: Map<string, string>): string {
  const first = comparisons[0]
  const oneSubject = first !== undefined && comparisons.every((c) => c.subject === first.subject)
  const againstFloor = oneSubject && comparisons.every((c) => c.subject === 'mswoole' && c.baseline === 'floor')
  if (!oneSubject || againstFloor) return '| metric | mswoole | floor | mswoole / floor | target | |'
  return `| metric | ${labels.get(first.subject) ?? first.subject} | compared with | ratio | target | |`
}

/** A check in the summary: "0 dropped requests" for counts ("of …" units), "status median 250 ms" for measures. */
function checkSummary(k: Check): string {
  return k.unit.startsWith('of ') ? `${int.format(k.value)} ${k.metric}` : `${k.metric} ${int.format(k.value)} ${k.unit}`
}

function checkRow(c: Check): string {
  return `| ${c.metric} | ${int.format(c.value)} ${c.unit} | ${c.target} | ${c.met ? 'met' : '**missed**'} |`
}

function tableLines(t: Table): string[] {
  const cell = (v: string | number) => (typeof v === 'number' ? (Number.isInteger(v) ? int.format(v) : String(v)) : v)
  return [
    t.caption,
    '',
    `| ${t.columns.join(' | ')} |`,
    `| ${t.columns.map((_, i) => (t.numeric?.[i] === true ? '---:' : '---')).join(' | ')} |`,
    ...t.rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
    '',
  ]
}

/** Subject id → label, from the subjects and the scenario's own labels. */
function subjectLabels(s: ScenarioResult): Map<string, string> {
  return new Map([...Object.entries(s.labels ?? {}), ...s.subjects.map((x): [string, string] => [x.id, x.label])])
}

function scenarioSection(s: ScenarioResult): string[] {
  const labels = subjectLabels(s)
  const load = s.subjects.length > 0
  const checks = s.checks ?? []
  return [
    `## ${s.title}`,
    '',
    s.description,
    '',
    `**${s.verdict}**`,
    '',
    ...(load
      ? [
          '| target | req/s | p50 ms | p90 ms | p99 ms | max ms | errors | unexpected closes | server CPU µs/reply | server cores | client cores | other cores | every round (req/s) |',
          '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
          ...s.subjects.map(subjectRow),
          '',
        ]
      : []),
    ...(s.comparisons.length > 0
      ? [
          comparisonHead(s.comparisons, labels),
          '| --- | ---: | ---: | ---: | --- | --- |',
          ...s.comparisons.map((c) => comparisonRow(c, labels)),
          '',
        ]
      : []),
    ...(checks.length > 0 ? ['| check | value | target | |', '| --- | ---: | --- | --- |', ...checks.map(checkRow), ''] : []),
    ...(load
      ? [
          'Figures are the median round by throughput. Cores are averages over the measured window: the server process (all its threads), ' +
            'the load client, and everything else on the machine ("other": noise from work that is not the benchmark).',
          '',
        ]
      : []),
    ...(s.tables ?? []).flatMap(tableLines),
    ...(s.notes.length > 0 ? [...s.notes.map((n) => `- ${n}`), ''] : []),
    ...(load ? ['Started as:', '', ...s.subjects.map((x) => `- ${x.label}: \`${x.command}\``), ''] : []),
  ]
}

function summaryRows(r: BenchResults): string[] {
  return r.scenarios.map((s) => {
    const link = `[${s.title}](#${anchor(s.title)})`
    const c = s.comparisons.find((x) => x.target !== undefined)
    // A baseline other than the plain ws floor is named in its cell.
    const named = c === undefined || c.baseline === 'floor' ? '' : ` (${subjectLabels(s).get(c.baseline) ?? c.baseline})`
    if (c !== undefined)
      return `| ${link} | ${fmt(c.value, c.unit)} | ${fmt(c.baselineValue, c.unit)}${named} | ${c.ratio.toFixed(2)}× | ${c.target} | ${metCell(c)} |`
    const checks = s.checks ?? []
    if (checks.length > 0) {
      const met = checks.every((k) => k.met)
      return `| ${link} | ${checks.map(checkSummary).join(', ')} | — | — | ${checks.map((k) => `${k.metric} ${k.target}`).join('; ')} | ${met ? 'met' : '**missed**'} |`
    }
    return `| ${link} | ${s.headline ?? '—'} | — | — | none | — |`
  })
}

/** A scenario in the results history: its target ratio, its checks met or missed, or just its name. */
function historyItem(s: ScenarioResult): string {
  const c = s.comparisons.find((y) => y.target !== undefined)
  if (c !== undefined) return `${s.name} ${c.ratio.toFixed(2)}×`
  const checks = s.checks ?? []
  if (checks.length > 0) return `${s.name} ${checks.every((k) => k.met) ? 'met' : 'missed'}`
  return `${s.name} (no target)`
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to dashes. */
function anchor(title: string): string {
  return title
    .toLowerCase()
    .replace(/[^\p{L}\p{N} -]/gu, '')
    .replace(/ /g, '-')
}

/** `soak`: the newest soak results (bench/soak.ts), shown in a section of their own; they come from a separate run. */
export function renderBenchmarks(
  shown: ResultsFile,
  all: ResultsFile[],
  charts: Chart[],
  soak = latestSoak(),
  profiles: ProfileResults[] = storedProfiles(),
  heapProfiles: HeapProfileResults[] = storedHeapProfiles(),
): string {
  const r = shown.results
  const m = r.machine
  return [
    '# Benchmarks',
    '',
    `<!-- Generated by bench/run.ts from bench/results/${shown.file}; edit bench/lib/report.ts, not this file. -->`,
    '',
    `Figures from \`bench/results/${shown.file}\`: a ${r.mode} run started ${r.startedAt}. ` +
      'The load client, the mswoole daemon and the plain `ws` floor all run on the one machine below, over loopback, ' +
      'so they share its cores: the figures compare targets with each other, they are not what a dedicated server would do.',
    '',
    '## Summary',
    '',
    '| scenario | mswoole | floor | mswoole / floor | target | |',
    '| --- | ---: | ---: | ---: | --- | --- |',
    ...summaryRows(r),
    ...(soak === undefined ? [] : [soakSummaryRow(soak.results)]),
    '',
    ...(r.failures.length > 0 ? ['Scenarios that failed in this run:', '', ...r.failures.map((f) => `- ${f.name}: ${f.error}`), ''] : []),
    '## Machine',
    '',
    `- CPU: ${m.cpuModel} × ${m.cpuCount}`,
    `- Memory: ${gib(m.memoryBytes)}`,
    `- Node ${m.node} on ${m.platform} ${m.release} (${m.arch})`,
    `- Load average when the run began: ${m.loadAverage.toFixed(2)}`,
    ...(r.git === null ? [] : [`- Commit: \`${r.git.commit}\`${r.git.dirty ? ' (with uncommitted changes)' : ''}`]),
    ...(r.partialRuns ?? []).map(
      (p) =>
        `- ${p.scenarios.map((n) => `\`${n}\``).join(', ')} measured on its own later (\`${p.command}\`), started ${p.startedAt}, load average ${p.loadAverage.toFixed(2)}` +
        (p.git === null ? '' : `, commit \`${p.git.commit}\`${p.git.dirty ? ' (with uncommitted changes)' : ''}`) +
        (p.replaced ?? []).map((r) => `; it replaced \`${r.name}\` as measured ${r.startedAt}: "${r.verdict}"`).join(''),
    ),
    '',
    '## Reproduce',
    '',
    '```sh',
    ...r.commands,
    '```',
    '',
    '`npm run bench -- --quick` (or `npm run bench:quick`) is the same with fewer connections and seconds, in under two minutes; ' +
      'it writes `bench/results/<date>-quick.json` and never replaces a full run in this page. ' +
      'The load client also runs alone: `node --import tsx bench/load-client.ts --help`.',
    '',
    ...r.scenarios.flatMap(scenarioSection),
    ...(soak === undefined ? [] : soakSection(soak.file, soak.results)),
    ...profileSection(profiles),
    ...heapProfileSection(heapProfiles),
    '## Charts',
    '',
    ...(charts.length === 0
      ? ['None yet: a scenario with a target gets its chart once it has run.', '']
      : [
          'Drawn by the suite from the results files into `bench/charts/` (mswoole in blue; the dashed line is the target). ' +
            'History charts show mswoole against its target baseline in every stored run of this mode.',
          '',
          ...charts.flatMap((c) => [`![${c.alt}](bench/charts/${c.file})`, '']),
        ]),
    '## Results history',
    '',
    ...all.map((f) => {
      const s = f.results.scenarios.map(historyItem)
      return `- \`bench/results/${f.file}\` (${f.results.mode}): ${s.join(', ') || 'no scenario finished'}`
    }),
    '',
  ].join('\n')
}
