import { describe, expect, it } from 'vitest'
import { type BenchResults, mergeResults } from '../../bench/lib/results.js'
import type { ScenarioResult } from '../../bench/lib/scenario.js'

const scenario = (name: string, verdict: string): ScenarioResult =>
  ({ name, title: name, description: '', params: {}, subjects: [], comparisons: [], verdict, notes: [] }) as unknown as ScenarioResult

function run(startedAt: string, scenarios: ScenarioResult[]): BenchResults {
  return {
    schema: 1,
    date: '2026-12-07',
    mode: 'full',
    startedAt,
    finishedAt: startedAt,
    machine: { cpuModel: 'cpu', cpuCount: 2, memoryBytes: 1, node: 'v20', platform: 'linux', release: '6', arch: 'x64', loadAverage: 0.5 },
    git: { commit: 'abc', dirty: false },
    commands: ['npm run bench -- --only b'],
    scenarios,
    failures: [],
  } as BenchResults
}

describe('results of a scenario run again on its own', () => {
  it('replace that scenario and keep, with the partial run, what the file showed for it before', () => {
    const full = run('T1', [scenario('a', 'Target met: a'), scenario('b', 'Target missed: b, 0.59×')])
    const first = mergeResults(full, run('T2', [scenario('b', 'Target met: b, 1.35×')]), ['a', 'b'])
    expect(first.scenarios.map((s) => s.verdict)).toEqual(['Target met: a', 'Target met: b, 1.35×'])
    expect(first.partialRuns).toEqual([
      expect.objectContaining({
        scenarios: ['b'],
        startedAt: 'T2',
        replaced: [{ name: 'b', startedAt: 'T1', verdict: 'Target missed: b, 0.59×' }],
      }),
    ])
    // A second rerun takes the first one's place, and names both figures it follows: the full run's and the first rerun's.
    const second = mergeResults(first, run('T3', [scenario('b', 'Target met: b, 1.1×')]), ['a', 'b'])
    expect(second.partialRuns).toEqual([
      expect.objectContaining({
        startedAt: 'T3',
        replaced: [
          { name: 'b', startedAt: 'T1', verdict: 'Target missed: b, 0.59×' },
          { name: 'b', startedAt: 'T2', verdict: 'Target met: b, 1.35×' },
        ],
      }),
    ])
  })
})
