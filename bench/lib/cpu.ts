/**
 * CPU accounting from /proc (Linux), because the bench shares a small machine:
 * the server's CPU per request holds up when the wall-clock figures are disturbed,
 * and the CPU used by everything else says how disturbed they were.
 * Elsewhere every figure here is null and the bench still runs.
 */
import { readFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'

/** USER_HZ: 100 on every Linux that Node supports. */
const TICKS_PER_SECOND = 100

/** utime + stime of a process, all its threads, in seconds; undefined if it is gone or /proc is absent. */
export function processCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The command name may hold spaces and parentheses: fields are counted after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND
  } catch {
    return undefined
  }
}

export interface MachineTimes {
  /** user + nice + system: processes, ours and everyone else's. */
  tasks: number
  /** irq + softirq: mostly loopback TCP here, which no process is charged for. */
  irq: number
  /** Time the hypervisor gave to other guests. */
  steal: number
}

/** CPU seconds of the whole machine since boot, all cores, by kind (idle and iowait left out). */
export function machineTimes(): MachineTimes | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? ''
    const [, user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = line.trim().split(/\s+/).map(Number)
    return { tasks: (user + nice + system) / TICKS_PER_SECOND, irq: (irq + softirq) / TICKS_PER_SECOND, steal: steal / TICKS_PER_SECOND }
  } catch {
    return undefined
  }
}

function selfCpuSeconds(): number {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1e6
}

export interface CpuFigures {
  wallSeconds: number
  /** Average cores used by the server under test (all its threads). */
  serverCores: number
  /** Average cores used by this process: the load client. */
  clientCores: number
  /** Average cores used by every other process on the machine: the noise. */
  otherCores: number
  /** Average cores in interrupts and softirqs (loopback TCP, charged to no process). */
  irqCores: number
  /** Average cores the hypervisor took for other guests. */
  stealCores: number
  /** Server CPU time per reply, in microseconds. */
  serverMicrosPerReply: number
  /** A server of several processes (a cluster's nodes): each one's average cores, in the order given. */
  serverCoresEach?: number[]
  /** Average cores of the processes the server needs beside its own (a cluster's redis-server), left out of otherCores. */
  sideCores?: number
}

/** utime + stime of each process, in seconds; undefined if one of them is gone or /proc is absent. */
function cpuSecondsEach(pids: readonly number[]): number[] | undefined {
  const each = pids.map(processCpuSeconds)
  return each.every((v): v is number => v !== undefined) ? each : undefined
}

const sum = (values: readonly number[]) => values.reduce((n, v) => n + v, 0)

/**
 * Measures between start() and stop(); pass the reply count of that same window to stop().
 * The server is one process or several (a cluster's nodes, summed); `sidePids` are processes
 * it needs beside its own (a redis-server), counted apart rather than as other work.
 */
export class CpuMeter {
  readonly #serverPids: readonly number[]
  readonly #sidePids: readonly number[]
  #start: { wall: number; server: number[]; side: number; self: number; machine: MachineTimes } | undefined

  constructor(serverPid: number | readonly number[], sidePids: readonly number[] = []) {
    this.#serverPids = typeof serverPid === 'number' ? [serverPid] : serverPid
    this.#sidePids = sidePids
  }

  start(): void {
    const server = cpuSecondsEach(this.#serverPids)
    const side = cpuSecondsEach(this.#sidePids)
    const machine = machineTimes()
    this.#start =
      server === undefined || side === undefined || machine === undefined
        ? undefined
        : { wall: performance.now(), server, side: sum(side), self: selfCpuSeconds(), machine }
  }

  stop(replies: number): CpuFigures | null {
    const s = this.#start
    const server = cpuSecondsEach(this.#serverPids)
    const side = cpuSecondsEach(this.#sidePids)
    const machine = machineTimes()
    if (s === undefined || server === undefined || side === undefined || machine === undefined) return null
    const wall = (performance.now() - s.wall) / 1000
    const serverEach = server.map((v, i) => v - s.server[i]!)
    const serverSec = sum(serverEach)
    const sideSec = sum(side) - s.side
    const selfSec = selfCpuSeconds() - s.self
    const round = (v: number, d = 2) => Math.round(v * 10 ** d) / 10 ** d
    return {
      wallSeconds: round(wall, 3),
      serverCores: round(serverSec / wall),
      clientCores: round(selfSec / wall),
      otherCores: round(Math.max(0, machine.tasks - s.machine.tasks - serverSec - sideSec - selfSec) / wall),
      irqCores: round((machine.irq - s.machine.irq) / wall),
      stealCores: round((machine.steal - s.machine.steal) / wall),
      serverMicrosPerReply: replies === 0 ? 0 : round((serverSec * 1e6) / replies, 1),
      ...(serverEach.length > 1 ? { serverCoresEach: serverEach.map((v) => round(v / wall)) } : {}),
      ...(this.#sidePids.length > 0 ? { sideCores: round(sideSec / wall) } : {}),
    }
  }
}

/**
 * Waits (at most `maxSeconds`) for the machine to be quiet: other work under
 * `maxOtherCores` over one second. Returns the last reading, or null without /proc.
 */
export async function waitForQuiet(maxOtherCores: number, maxSeconds: number, ownPids: number[]): Promise<number | null> {
  const deadline = performance.now() + maxSeconds * 1000
  for (;;) {
    const m0 = machineTimes()?.tasks
    const own0 = ownPids.reduce((n, pid) => n + (processCpuSeconds(pid) ?? 0), selfCpuSeconds())
    const t0 = performance.now()
    await sleep(1000)
    const m1 = machineTimes()?.tasks
    if (m0 === undefined || m1 === undefined) return null
    const own1 = ownPids.reduce((n, pid) => n + (processCpuSeconds(pid) ?? 0), selfCpuSeconds())
    const other = Math.max(0, m1 - m0 - (own1 - own0)) / ((performance.now() - t0) / 1000)
    if (other <= maxOtherCores || performance.now() >= deadline) return Math.round(other * 100) / 100
  }
}

/** write(2)/writev(2) calls a process (all its threads) has made, from /proc/<pid>/io; undefined if unreadable. */
export function processWriteCalls(pid: number): number | undefined {
  try {
    const line = readFileSync(`/proc/${pid}/io`, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('syscw:'))
    return line === undefined ? undefined : Number(line.slice(6))
  } catch {
    return undefined
  }
}
