import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { profileSection, storedProfiles } from '../../bench/lib/profile-section.js'
import { type CpuProfile, type ProfileResults, selfTimes, threadRole } from '../../bench/lib/profiles.js'

const frame = (functionName: string, url = '', lineNumber = 0) => ({ functionName, url, lineNumber })

const profile: CpuProfile = {
  nodes: [
    { id: 1, callFrame: frame('(idle)') },
    { id: 2, callFrame: frame('frame', 'file:///repo/dist/worker/dispatcher.js', 26) },
    { id: 3, callFrame: frame('', 'file:///repo/node_modules/ws/lib/receiver.js', 9) },
  ],
  samples: [1, 2, 2, 3, 2],
  timeDeltas: [4000, 1000, 1000, 500, 1000],
}

describe('bench profiles', () => {
  it('sums self time per function, naming its file and line, heaviest first', () => {
    expect(selfTimes(profile)).toEqual([
      { name: '(idle)', ms: 4 },
      { name: 'frame dist/worker/dispatcher.js:27', ms: 3 },
      { name: '(anonymous) node_modules/ws/lib/receiver.js:10', ms: 0.5 },
    ])
  })

  it('tells the master, a worker and a loader-hook thread apart', () => {
    expect(threadRole('CPU.20261206.160755.4642.0.001.cpuprofile', profile)).toBe('master')
    expect(threadRole('CPU.20261206.160755.4642.1.002.cpuprofile', profile)).toBe('worker')
    const loader: CpuProfile = {
      nodes: [{ id: 1, callFrame: frame('handleMessage', 'node:internal/modules/esm/worker') }],
      samples: [1],
      timeDeltas: [1],
    }
    expect(threadRole('CPU.20261206.160755.4642.3.004.cpuprofile', loader)).toBe('loader')
  })

  it("renders the stored profiles in label order, with each thread kind's top functions", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'mswoole-profiles-'))
    try {
      const result = (label: string, rps: number): ProfileResults => ({
        kind: 'profile',
        label,
        describe: `step ${label}`,
        commit: 'abcdef0123456789',
        startedAt: '2026-12-06T00:00:00.000Z',
        node: 'v20.20.2',
        connections: 200,
        seconds: 10,
        requestsPerSecond: rps,
        master: { threads: 1, busyMs: 100, top: [{ name: 'postMessage', ms: 60, share: 60 }] },
        workers: { threads: 2, busyMs: 50, top: [{ name: 'a|b', ms: 5, share: 10 }] },
      })
      await writeFile(path.join(dir, 'profile-2-after.json'), JSON.stringify(result('2-after', 20000)))
      await writeFile(path.join(dir, 'profile-1-before.json'), JSON.stringify(result('1-before', 10000)))
      await writeFile(path.join(dir, '2026-12-06-quick.json'), '{}')
      const stored = storedProfiles(dir)
      expect(stored.map((p) => p.label)).toEqual(['1-before', '2-after'])
      const text = profileSection(stored).join('\n')
      expect(text).toContain('| 1-before: step 1-before | `abcdef0` | 10,000 | 100 | 50 |')
      expect(text.indexOf('### 1-before')).toBeLessThan(text.indexOf('### 2-after'))
      expect(text).toContain('| 60.0% | 60 | `postMessage` |')
      expect(text).toContain('`a\\|b`')
      expect(profileSection([])).toEqual([])
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
