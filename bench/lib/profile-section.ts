/**
 * BENCHMARKS.md's section on where a reply's time goes: every
 * bench/results/profile-<label>.json written by bench/profile.ts, in the order
 * of their labels, side by side (read synchronously: the report renders in one pass).
 */
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { RESULTS_DIR } from './paths.js'
import type { ProfileResults, ProfileTop } from './profiles.js'

export function storedProfiles(dir = RESULTS_DIR): ProfileResults[] {
  return storedByLabel<ProfileResults>('profile', dir)
}

/** Every `<prefix>-<label>.json` in the results folder, in the order of their labels. */
export function storedByLabel<T>(prefix: string, dir = RESULTS_DIR): T[] {
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch {
    return []
  }
  return names
    .filter((name) => name.startsWith(`${prefix}-`) && /^[\w.-]+\.json$/.test(name))
    .sort()
    .map((name) => JSON.parse(readFileSync(path.join(dir, name), 'utf8')) as T)
}

const int = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 })

function topTable(title: string, top: ProfileTop): string[] {
  return [
    `${title}, ${int.format(top.busyMs)} ms busy over ${top.threads} thread${top.threads === 1 ? '' : 's'}:`,
    '',
    '| share | ms | function (self time) |',
    '| ---: | ---: | --- |',
    ...top.top.map((t) => `| ${t.share.toFixed(1)}% | ${int.format(t.ms)} | \`${t.name.replaceAll('|', '\\|')}\` |`),
    '',
  ]
}

export function profileSection(profiles: ProfileResults[]): string[] {
  if (profiles.length === 0) return []
  const first = profiles[0]!
  return [
    "## Where a reply's time goes",
    '',
    `CPU profiles (\`node --cpu-prof\`) of the daemon under the request/reply load: ${first.connections} closed-loop connections ` +
      `sending \`{"method":"index.index.index"}\` for ${first.seconds} s after 2 s of warmup, on the sample app, one profile per step of the work on that path. ` +
      'Each is `node --import tsx bench/profile.ts --label <label>`, with `--repo <a checkout of that commit>` for the earlier steps. ' +
      "Busy time is a thread's sampled time outside idle over the daemon's whole life, its start and stop included; " +
      'the req/s is the load client’s while the profiler runs, which slows every thread and moves from run to run. ' +
      'Read the shares for where the time goes, and the request/reply figures above for the speed.',
    '',
    '| step | commit | req/s under the profiler | master busy (ms) | workers busy (ms) |',
    '| --- | --- | ---: | ---: | ---: |',
    ...profiles.map(
      (p) =>
        `| ${p.label}: ${p.describe} | ${p.commit === null ? '—' : `\`${p.commit.slice(0, 7)}\``} | ${int.format(p.requestsPerSecond)} | ${int.format(p.master.busyMs)} | ${int.format(p.workers.busyMs)} |`,
    ),
    '',
    ...profiles.flatMap((p) => [
      `### ${p.label}`,
      '',
      `${p.describe}. Profiled ${p.startedAt} on Node ${p.node}.`,
      '',
      ...topTable('The master', p.master),
      ...topTable('The workers, summed', p.workers),
    ]),
  ]
}
