/**
 * The soak's knobs: defaults for a full run and for `--quick`, the flags that override them,
 * and the bounds that keep any combination finite and on loopback.
 */
import { parseArgs } from 'node:util'

export interface SoakOptions {
  mode: 'full' | 'quick'
  /** Seconds of load, from the first connection open to the start of the drain. */
  duration: number
  connections: number
  /** Requests per second over all connections (each connection sends one at a time, then waits its turn). */
  rate: number
  /** Connections closed per second, each reconnecting after a short pause. */
  churnRate: number
  /** At most this fraction of the connections is closed or reconnecting at any moment. */
  churnFraction: number
  /** Broadcasts per second to the connections' room, through the manager port. */
  broadcastRate: number
  /** Seconds between reload starts (`mswoole reload`, one at a time). */
  reloadInterval: number
  /** Seconds between heap samples (each after a forced full collection). */
  sampleInterval: number
  /** Samples before this many seconds into the load are reported but not judged (JIT, first reloads, pools). */
  warmup: number
  /** The leak bound: the master's heap after a forced collection may grow at most this many MiB from the first judged sample to the last. */
  leakBoundMib: number
}

export const FULL: Omit<SoakOptions, 'mode'> = {
  duration: 180,
  connections: 500,
  rate: 500,
  churnRate: 20,
  churnFraction: 0.1,
  broadcastRate: 5,
  reloadInterval: 5,
  sampleInterval: 10,
  warmup: 30,
  leakBoundMib: 4,
}

export const QUICK: Omit<SoakOptions, 'mode'> = {
  ...FULL,
  duration: 30,
  connections: 200,
  rate: 200,
  churnRate: 10,
  sampleInterval: 4,
  warmup: 10,
}

/** Requests per second one connection may send: under the daemon's default guard of 50, with room for jitter. */
const MAX_RATE_PER_CONNECTION = 20

/** Hard limits, whatever the flags say: the soak is a bounded run, never an open-ended one. */
const BOUNDS: Record<Exclude<keyof SoakOptions, 'mode'>, [number, number]> = {
  duration: [10, 3600],
  connections: [1, 5000],
  rate: [1, 20_000],
  churnRate: [0, 1000],
  churnFraction: [0, 0.5],
  broadcastRate: [0, 100],
  reloadInterval: [1, 600],
  sampleInterval: [1, 600],
  warmup: [0, 3000],
  leakBoundMib: [0, 1024],
}

export const USAGE = `npm run bench:soak [-- <flags>]

  --quick                  ${QUICK.duration} s, ${QUICK.connections} connections (a check, not the figures)
  --duration <s>           seconds of load (default ${FULL.duration})
  --connections <n>        connections held, churned (default ${FULL.connections})
  --rate <n>               requests per second over all connections (default ${FULL.rate})
  --churn-rate <n>         connections closed and reopened per second (default ${FULL.churnRate})
  --churn-fraction <f>     most connections down at once, as a fraction (default ${FULL.churnFraction})
  --broadcast-rate <n>     broadcasts per second through the manager port (default ${FULL.broadcastRate})
  --reload-interval <s>    seconds between \`mswoole reload\` starts (default ${FULL.reloadInterval})
  --sample-interval <s>    seconds between heap samples (default ${FULL.sampleInterval})
  --warmup <s>             samples before this are not judged (default ${FULL.warmup})
  --leak-bound-mib <n>     allowed heap growth after GC, first judged sample to last (default ${FULL.leakBoundMib})

Writes bench/results/soak-<date>.json (or soak-<date>-quick.json), regenerates BENCHMARKS.md,
and exits 1 when a message was lost, something crashed or the heap grew past the bound.`

const FLAGS: Array<[string, Exclude<keyof SoakOptions, 'mode'>]> = [
  ['duration', 'duration'],
  ['connections', 'connections'],
  ['rate', 'rate'],
  ['churn-rate', 'churnRate'],
  ['churn-fraction', 'churnFraction'],
  ['broadcast-rate', 'broadcastRate'],
  ['reload-interval', 'reloadInterval'],
  ['sample-interval', 'sampleInterval'],
  ['warmup', 'warmup'],
  ['leak-bound-mib', 'leakBoundMib'],
]

/** Parses argv; throws with a usage line on a bad flag or value. Returns undefined for --help. */
export function parseSoakOptions(argv: string[]): SoakOptions | undefined {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
      ...Object.fromEntries(FLAGS.map(([flag]) => [flag, { type: 'string' as const }])),
    },
    strict: true,
  })
  if (values.help === true) return undefined
  const mode = values.quick === true ? 'quick' : 'full'
  const o: SoakOptions = { mode, ...(mode === 'quick' ? QUICK : FULL) }
  for (const [flag, key] of FLAGS) {
    const raw = (values as Record<string, unknown>)[flag]
    if (typeof raw !== 'string') continue
    const value = Number(raw)
    const [min, max] = BOUNDS[key]
    if (!Number.isFinite(value) || value < min || value > max)
      throw new Error(`--${flag} must be a number from ${min} to ${max}, got ${raw}`)
    o[key] = key === 'connections' ? Math.round(value) : value
  }
  // The daemon runs its default guard of 50 messages/s per connection; the soak stays well under it.
  if (o.rate / o.connections > MAX_RATE_PER_CONNECTION)
    throw new Error(
      `--rate ${o.rate} over ${o.connections} connections is ${(o.rate / o.connections).toFixed(1)} requests/s each; keep it at most ${MAX_RATE_PER_CONNECTION} (the daemon's default guard answers 429 past 50)`,
    )
  // A warm-up that leaves fewer than two judged samples judges nothing.
  if (o.warmup + 2 * o.sampleInterval > o.duration) o.warmup = Math.max(0, o.duration - 2 * o.sampleInterval)
  return o
}
