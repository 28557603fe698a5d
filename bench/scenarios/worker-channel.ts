/**
 * Worker channel: the master↔worker hop, worker_threads postMessage against
 * child-process IPC, one message per post and batched (bench/worker-channel.ts,
 * which also runs alone). No server and no target: it is the reason mswoole's
 * workers are threads, kept in the report so a Node upgrade that changes it shows.
 */
import os from 'node:os'
import { machineTimes, waitForQuiet } from '../lib/cpu.js'
import type { Scenario, ScenarioContext, ScenarioResult } from '../lib/scenario.js'
import { BATCH, FULL_MESSAGES, measureWorkerChannel, QUICK_MESSAGES, SAMPLE, type WorkerChannelOptions } from '../worker-channel.js'
import { QUIET_OTHER_CORES } from './request-reply.js'

export const FULL: WorkerChannelOptions = { messages: FULL_MESSAGES, batch: BATCH, repeats: 3 }
export const QUICK: WorkerChannelOptions = { messages: QUICK_MESSAGES, batch: BATCH, repeats: 1 }

const int = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 })

function selfCpuSeconds(): number {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1e6
}

export async function runWorkerChannel(
  o: WorkerChannelOptions,
  quick: boolean,
  log: (m: string) => void = () => undefined,
): Promise<ScenarioResult> {
  // The whole measurement lasts seconds: a short bounded wait for a quieter machine is enough.
  const otherCoresBefore = await waitForQuiet(QUIET_OTHER_CORES, quick ? 3 : 10, [])
  const m0 = machineTimes()
  const self0 = selfCpuSeconds()
  const t0 = performance.now()
  const r = await measureWorkerChannel(o)
  const wall = (performance.now() - t0) / 1000
  const m1 = machineTimes()
  // Ours (the worker threads included) and the echo child processes' are the measurement; the rest is other work.
  const ours = selfCpuSeconds() - self0 + r.childCpuSeconds
  const otherCores = m0 === undefined || m1 === undefined ? null : Math.round((Math.max(0, m1.tasks - m0.tasks - ours) / wall) * 100) / 100
  const f = r.figures
  const ratio = (a: number, b: number) => (b === 0 ? 0 : Math.round((a / b) * 100) / 100)
  const x = (v: number) => `${v.toFixed(2)}×`
  const oneByOne = ratio(f.threadOneByOne.messagesPerSecond, f.processOneByOne.messagesPerSecond)
  const batched = ratio(f.threadBatched.messagesPerSecond, f.processBatched.messagesPerSecond)
  log(
    `threads ${int.format(f.threadOneByOne.messagesPerSecond)} / ${int.format(f.threadBatched.messagesPerSecond)} msg/s, processes ${int.format(f.processOneByOne.messagesPerSecond)} / ${int.format(f.processBatched.messagesPerSecond)} msg/s (one by one / ${r.batch} per post)`,
  )
  const rows: Array<Array<string | number>> = [
    [
      'worker_threads `postMessage`',
      f.threadOneByOne.messagesPerSecond,
      f.threadBatched.messagesPerSecond,
      f.threadOneByOne.cpuMicrosPerMessage,
      f.threadBatched.cpuMicrosPerMessage,
    ],
    [
      'child process `fork` IPC (advanced serialization)',
      f.processOneByOne.messagesPerSecond,
      f.processBatched.messagesPerSecond,
      f.processOneByOne.cpuMicrosPerMessage,
      f.processBatched.cpuMicrosPerMessage,
    ],
    [
      'threads / processes',
      x(oneByOne),
      x(batched),
      x(ratio(f.threadOneByOne.cpuMicrosPerMessage, f.processOneByOne.cpuMicrosPerMessage)),
      x(ratio(f.threadBatched.cpuMicrosPerMessage, f.processBatched.cpuMicrosPerMessage)),
    ],
  ]
  const notes = [
    'This is why mswoole runs controllers in worker threads, not processes: every message pays this hop twice (the request out, the finished frame back), and a thread makes it cheaper, one by one and batched alike (docs/reload.md).',
    `Every round trip: one message of mswoole's size out (\`${JSON.stringify(SAMPLE)}\`), one finished frame string back; at most 16 posts in flight. The start-up of the thread or process is not timed (one untimed round trip first). ` +
      (r.repeats === 1
        ? 'One measurement of each kind.'
        : `${r.repeats} measurements of each kind, the median reported; every measurement (msg/s): ${Object.entries(f)
            .map(([k, v]) => `${k} ${v.repeats.map((n) => int.format(n)).join(', ')}`)
            .join('; ')}.`),
    `The master side runs in the bench process itself, on the shared machine (${os.cpus().length} cores): other work took ${otherCoresBefore ?? '—'} cores just before and ${otherCores ?? '—'} cores on average during the measurements, so the figures move from run to run${r.repeats > 1 ? ' (every measurement is listed above)' : ''}.`,
    'Runs alone too: `node --import tsx bench/worker-channel.ts [--quick]`.',
  ]
  return {
    name: 'worker-channel',
    title: 'Worker channel (threads vs processes)',
    description:
      'Round trips between this process and an echo worker, for each of: a worker thread (`postMessage`) and a child process (`fork` IPC, advanced serialization), ' +
      `${int.format(r.messages)} of them one message per post, and ${int.format(r.batchedMessages)} of them ${r.batch} messages per post. Throughput is round trips per second; CPU is both ends' CPU time per round trip. No target.`,
    params: { ...o, result: r, otherCoresBefore, otherCores },
    subjects: [],
    comparisons: [],
    tables: [
      {
        caption: 'Round trips per second, and CPU µs per round trip (both ends):',
        columns: [
          'channel',
          'msg/s, one per post',
          `msg/s, ${r.batch} per post`,
          'CPU µs/msg, one per post',
          `CPU µs/msg, ${r.batch} per post`,
        ],
        numeric: [false, true, true, true, true],
        rows,
      },
    ],
    headline: `threads ${x(oneByOne)} processes one by one, ${x(batched)} batched`,
    verdict: `No target: worker threads carry ${x(oneByOne)} the messages/s of child-process IPC one by one (${int.format(f.threadOneByOne.messagesPerSecond)} vs ${int.format(f.processOneByOne.messagesPerSecond)}) and ${x(batched)} batched (${int.format(f.threadBatched.messagesPerSecond)} vs ${int.format(f.processBatched.messagesPerSecond)}); this is why workers are threads.`,
    notes,
  }
}

export const workerChannel: Scenario = {
  name: 'worker-channel',
  title: 'Worker channel (threads vs processes)',
  run: (ctx: ScenarioContext) => runWorkerChannel(ctx.quick ? QUICK : FULL, ctx.quick, ctx.log),
}
