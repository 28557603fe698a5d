/** The "Soak" section of BENCHMARKS.md, and its row in the summary, from a soak results file. */
import type { Check } from '../lib/scenario.js'
import type { SoakResults } from './results-file.js'
import { mib } from './verdict.js'

const int = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 })

function checkRow(c: Check): string {
  const value = Number.isNaN(c.value) ? '—' : int.format(c.value)
  return `| ${c.metric} | ${value} ${c.unit} | ${c.target} | ${c.met ? 'met' : '**missed**'} |`
}

/** The summary table's row: the same columns as a scenario with checks. */
export function soakSummaryRow(r: SoakResults): string {
  const v = r.memory.verdict
  const heap = v === null ? 'heap not judged' : `heap ${v.heap.growth >= 0 ? '+' : '−'}${mib(Math.abs(v.heap.growth))} after GC`
  return (
    `| [Soak](#soak) | ${int.format(r.lost.total)} lost, ${r.crashes.total} crashes, ${heap} (${Math.round(r.loadSeconds)} s, ${int.format(r.options.connections)} connections, ${r.reloads.done} reloads) ` +
    `| — | — | lost = 0; crashes = 0; heap growth ≤ ${r.options.leakBoundMib} MiB | ${r.passed ? 'met' : '**missed**'} |`
  )
}

/** What the bound can see in this run: the smallest leak per event that would have crossed it over the judged window. */
function sensitivity(r: SoakResults): string {
  const v = r.memory.verdict
  if (v === null || r.loadSeconds <= 0) return ''
  // The events of the judged window, taken as the run's totals in proportion to its length.
  const share = (v.toT - v.fromT) / r.loadSeconds
  const per = (n: number, what: string) => (n * share < 1 ? [] : [`${int.format(v.boundBytes / (n * share))} B per ${what}`])
  const parts = [
    ...per(r.client.churned, 'reconnect'),
    ...per(r.client.requests, 'request'),
    ...per(r.broadcasts.answered, 'broadcast'),
    ...per(r.reloads.done, 'reload'),
  ]
  return parts.length === 0
    ? ''
    : `Over the judged ${Math.round(v.toT - v.fromT)} s, a leak of about ${parts.join(', or ')} would have crossed it. `
}

export function soakSection(file: string, r: SoakResults): string[] {
  const o = r.options
  const c = r.client
  const b = r.broadcasts
  const v = r.memory.verdict
  const samples = r.memory.samples
  const m = r.machine
  const reloadMs = r.reloads.durationMs
  return [
    '## Soak',
    '',
    `From \`bench/results/${file}\`: a ${r.mode} soak (\`${r.command}\`) started ${r.startedAt}, on ${m.cpuModel} × ${m.cpuCount}, Node ${m.node}, ` +
      `load average ${m.loadAverage.toFixed(2)} when it began` +
      (r.git === null ? '' : `, commit \`${r.git.commit}\`${r.git.dirty ? ' (with uncommitted changes)' : ''}`) +
      '. It is a separate run (`npm run bench:soak`, not part of `npm run bench` or the tests), made to find leaks, lost messages and crashes rather than speed.',
    '',
    `One daemon, ${int.format(o.connections)} connections held for ${o.duration} s. Each open connection sends \`{"method":"index.index.join"}\` once (a controller room and a close hook), ` +
      `then \`{"method":"index.index.index"}\` one at a time, ${int.format(o.rate)} requests/s over all of them, and checks the \`receiveMessage\` ack and the reply of each. ` +
      `About ${o.churnRate} connections a second are closed (70% with 1000, 30% cut without a close frame) once their request in flight is answered, and reopen after 50–500 ms; at most ${Math.round(o.churnFraction * 100)}% are down at once. ` +
      `${o.broadcastRate} broadcasts a second, each with a sequence number, go to the connections' room through the manager port (\`POST /api/broadcast\`), and \`mswoole reload\` runs every ${o.reloadInterval} s (one at a time). ` +
      `Every ${o.sampleInterval} s the master's heap is read after two forced full collections (\`debug.gc\` on its control socket, the daemon started with \`--expose-gc\`), with its RSS from /proc and each worker's heap from \`status\`.`,
    '',
    `**${r.verdict}**`,
    '',
    '| check | value | target | |',
    '| --- | ---: | --- | --- |',
    ...r.checks.map(checkRow),
    '',
    '| figure | value |',
    '| --- | ---: |',
    `| load | ${r.loadSeconds} s |`,
    `| connections opened (first ones and reconnects) | ${int.format(c.opened)} |`,
    `| churned: closed with 1000 / cut | ${int.format(c.churned)}: ${int.format(c.cleanCloses)} / ${int.format(c.abruptCloses)} |`,
    `| requests sent / replies / acks | ${int.format(c.requests)} / ${int.format(c.replies)} / ${int.format(c.acks)} |`,
    `| broadcasts sent / answered by the daemon | ${int.format(b.sent)} / ${int.format(b.answered)} |`,
    `| broadcast frames received / sockets written (the daemon's count) | ${int.format(b.received)} / ${int.format(b.writtenByDaemon)} |`,
    `| deliveries owed (socket spanned the broadcast) / delivered | ${int.format(b.owed)} / ${int.format(b.delivered)}, over ${int.format(b.socketsAccounted)} sockets |`,
    `| reloads done / failed | ${r.reloads.done} / ${r.reloads.failed}${reloadMs === null ? '' : ` (${reloadMs.min}–${reloadMs.max} ms, median ${Math.round(reloadMs.median)} ms)`} |`,
    `| worker deaths: in the log / by the metrics (\`mswoole_worker_restarts_total\`) | ${r.crashes.log.workerExits + r.crashes.log.watchdogKills} / ${r.crashes.workerDeathsByMetrics ?? '—'} |`,
    `| daemon pid unchanged and alive | ${!r.crashes.pidChanged && r.crashes.daemonAliveAtEnd ? 'yes' : '**no**'} (${r.crashes.daemonPid}) |`,
    `| error lines in the log | ${
      Object.entries(r.crashes.log.errors)
        .map(([msg, n]) => `${n} × ${msg}`)
        .join('; ') || 'none'
    } |`,
    `| daemon CPU | ${r.daemonCores === null ? '—' : `${r.daemonCores} cores`} |`,
    ...(v === null
      ? []
      : [
          `| master heap after GC, t ${v.fromT}–${v.toT} s | ${mib(v.heap.first)} → ${mib(v.heap.last)} (min ${mib(v.heap.min)}, max ${mib(v.heap.max)}, slope ${(v.heap.slopePerMinute / 1024).toFixed(1)} KiB/min) |`,
          ...(v.rss === null
            ? []
            : [
                `| RSS, all threads | ${mib(v.rss.first)} → ${mib(v.rss.last)} (min ${mib(v.rss.min)}, max ${mib(v.rss.max)}, slope ${(v.rss.slopePerMinute / 1024).toFixed(1)} KiB/min) |`,
              ]),
          `| workers' heaps summed (as reported, not collected) | ${mib(v.workerHeap.first)} → ${mib(v.workerHeap.last)} |`,
        ]),
    '',
    'Memory samples ("before": no connection yet; "after": every connection closed; heap after forced collections unless marked):',
    '',
    "| t s | phase | connections | generation | master heap | RSS | workers' heaps |",
    '| ---: | --- | ---: | ---: | ---: | ---: | --- |',
    ...samples.map(
      (s) =>
        `| ${s.t} | ${s.phase}${s.phase === 'load' && s.t < o.warmup ? ' (warm-up)' : ''} | ${int.format(s.connections)} | ${s.generation} | ${mib(s.heapUsed)}${s.collected ? '' : ' (no GC)'} | ${s.rss === null ? '—' : mib(s.rss)} | ${s.workerHeaps.map((h) => (h / 2 ** 20).toFixed(1)).join(', ')} MiB |`,
    ),
    '',
    `- **Lost** counts requests never answered (${int.format(r.lost.requests)}), replies without their ack (${int.format(r.lost.acks)}), broadcast deliveries missing (${int.format(r.lost.broadcasts)}) and connections the server closed or dropped (${int.format(r.lost.connections)}).`,
    '- **Broadcast accounting.** Connections come and go while broadcasts flow, so a socket is owed broadcast n only when it provably spanned it: ' +
      'the reply to its first request arrived before n was sent (the daemon had it in the room before reading n), and a request sent after the daemon answered n ' +
      "(it answers once n is written to its sockets) was answered on the same socket (one socket's frames arrive in the order they were written). Sockets that opened or closed in between are neither owed nor blamed.",
    "- **Crashes** are a change of the daemon's pid (checked at every sample and at the end), workers that died or were ended by the watchdog " +
      "(`worker exited; replacing it` or the watchdog's line in the log; or `mswoole_worker_restarts_total`), and fatal log lines.",
    `- **Leak bound.** Samples in the first ${o.warmup} s (JIT, first reloads, pools) are shown, not judged. The master's heap after forced collections may grow at most ${o.leakBoundMib} MiB from the first judged sample to the last. ` +
      `The connections open at each sample differ by the churn in flight, and traffic is in flight at each collection, so even a flat heap wanders${v === null ? '' : ` (by ${mib(v.heap.max - v.heap.min)} between the lowest and the highest judged sample here)`}. ` +
      sensitivity(r) +
      "RSS and the workers' heaps are reported, not judged: RSS moves with the worker threads each reload starts and ends, and a worker's heap is a new isolate at every reload.",
    `- mswoole runs its defaults (the 50 messages/s per connection guard included), with ${'`'}manager.key${'`'} empty on loopback. Its config/app.json: \`${JSON.stringify(r.appJson)}\`.`,
    '',
  ]
}
