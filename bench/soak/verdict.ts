/**
 * The soak's pass or fail: every check below must hold. Lost messages, crashes and a heap past
 * the bound fail it; so do the things that would hide a loss or a crash (error replies, refused
 * reconnects, failed broadcasts or reloads, frames the protocol does not explain).
 */
import type { Check } from '../lib/scenario.js'
import type { SoakResults } from './results-file.js'

const int = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 })
export const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(2)} MiB`
const signedMib = (bytes: number) => `${bytes >= 0 ? '+' : '−'}${mib(Math.abs(bytes))}`

type Figures = Omit<SoakResults, 'lost' | 'checks' | 'passed' | 'verdict'>

export function judge(r: Figures): Pick<SoakResults, 'lost' | 'checks' | 'passed' | 'verdict'> {
  const c = r.client
  const b = r.broadcasts
  const lost = {
    requests: c.unanswered,
    acks: c.missingAcks,
    broadcasts: b.missing,
    connections: c.unexpectedCloses,
    total: c.unanswered + c.missingAcks + b.missing + c.unexpectedCloses,
  }
  const v = r.memory.verdict
  const zero = (metric: string, value: number, unit: string): Check => ({ metric, value, unit, target: '= 0', met: value === 0 })
  const checks: Check[] = [
    zero('requests without a reply', c.unanswered, `of ${int.format(c.requests)} sent`),
    zero('replies without an ack', c.missingAcks, `of ${int.format(c.replies)} replies`),
    zero('broadcast deliveries missing', b.missing, `of ${int.format(b.owed)} owed`),
    zero('broadcasts received twice', b.duplicates, `of ${int.format(b.received)} received`),
    zero('connections dropped by the server', c.unexpectedCloses, `of ${int.format(c.opened)} opened`),
    zero('error replies', c.errorReplies, `of ${int.format(c.requests)} sent`),
    zero('failed connects', c.connectFailures, `of ${int.format(c.opened + c.connectFailures)} tried`),
    zero('stray frames', c.otherFrames, `of all received`),
    zero('failed broadcasts', b.failed, `of ${int.format(b.sent)} sent`),
    {
      metric: 'failed reloads',
      value: r.reloads.failed,
      unit: `of ${int.format(r.reloads.done + r.reloads.failed)}`,
      target: '= 0, at least 1 done',
      met: r.reloads.failed === 0 && r.reloads.done > 0,
    },
    zero('crashes', r.crashes.total, 'daemon restarts, worker deaths, fatal lines'),
    zero(
      'samples the daemon did not answer',
      r.memory.sampleFailures,
      `of ${int.format(r.memory.samples.length + r.memory.sampleFailures)}`,
    ),
    {
      metric: 'master heap growth after GC',
      value: v === null ? Number.NaN : Math.round(v.heap.growth / 1024),
      unit:
        v === null
          ? 'KiB (not judged: too few samples after the warm-up)'
          : `KiB (${mib(v.heap.first)} → ${mib(v.heap.last)}, t ${v.fromT}–${v.toT} s)`,
      target: `≤ ${r.options.leakBoundMib} MiB`,
      met: v !== null && v.met,
    },
  ]
  const passed = checks.every((k) => k.met)
  const failed = checks.filter((k) => !k.met).map((k) => k.metric)
  const heapText =
    v === null
      ? 'the heap was not judged (too few samples after the warm-up)'
      : `the master's heap after ${v.collected ? 'a forced collection' : 'no forced collection'} went ${mib(v.heap.first)} → ${mib(v.heap.last)} (${signedMib(v.heap.growth)}; bound ${r.options.leakBoundMib} MiB) over ${v.judged} samples from ${v.fromT} s to ${v.toT} s`
  const verdict =
    `${passed ? 'Passed' : `Failed (${failed.join(', ')})`}: ${int.format(lost.total)} lost and ${r.crashes.total} crashes in ${Math.round(r.loadSeconds)} s ` +
    `with ${int.format(r.options.connections)} connections (${int.format(c.churned)} churned), ${int.format(c.requests)} requests, ` +
    `${int.format(b.answered)} broadcasts (${int.format(b.owed)} deliveries owed) and ${r.reloads.done} reloads; ${heapText}.`
  return { lost, checks, passed, verdict }
}
