/**
 * Why workers are threads: the cost of the master↔worker hop, measured for the
 * two ways Node offers: worker_threads (postMessage) and child processes
 * (fork + IPC). A message of the size mswoole sends (a client's fields out, a
 * finished frame back) makes the round trip, one at a time and in batches.
 *
 * Run alone:   node --import tsx bench/worker-channel.ts [--quick]
 * As a module: await measureWorkerChannel({ messages: 100_000 }) (the worker-channel scenario)
 */
import { fork, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import { processCpuSeconds } from './lib/cpu.js'
import { isMain } from './lib/is-main.js'

export const FULL_MESSAGES = 100_000
export const QUICK_MESSAGES = 20_000
export const BATCH = 64
/** Batches (or single messages) posted and not yet answered, at most. */
const WINDOW = 16
const ECHO = fileURLToPath(new URL('./worker-channel-echo.mjs', import.meta.url))
/** What the master hands a worker for one message: the client's fields and the route. */
export const SAMPLE = {
  fd: 17,
  method: 'index.index.index',
  name: 'hello',
  auth: { id: 1, type: 'wechatUser', code: 'room1', nickname: 'Tom' },
  code: 'room1',
}

interface Channel {
  send(message: unknown): void
  onMessage(listener: (message: unknown) => void): void
  offMessage(listener: (message: unknown) => void): void
  /** CPU seconds of the far end when it is another process; 0 for a thread (this process's own CPU has it). */
  farCpuSeconds(): number
  close(): Promise<void>
}

function threadChannel(): Channel {
  const worker = new Worker(ECHO)
  return {
    send: (m) => worker.postMessage(m),
    onMessage: (l) => worker.on('message', l),
    offMessage: (l) => worker.off('message', l),
    farCpuSeconds: () => 0,
    close: async () => {
      await worker.terminate()
    },
  }
}

function processChannel(): Channel {
  const child: ChildProcess = fork(ECHO, [], { serialization: 'advanced' })
  return {
    send: (m) => child.send(m as never),
    onMessage: (l) => child.on('message', l),
    offMessage: (l) => child.off('message', l),
    farCpuSeconds: () => (child.pid === undefined ? 0 : (processCpuSeconds(child.pid) ?? 0)),
    close: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return
      const exited = once(child, 'exit')
      child.kill()
      await exited
    },
  }
}

/** One message (or one batch) there and back, so start-up is not timed. */
function roundTrip(channel: Channel, message: unknown): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('worker-channel: no answer from the echo within 10 s')), 10_000)
    const listener = () => {
      clearTimeout(timer)
      channel.offMessage(listener)
      resolve()
    }
    channel.onMessage(listener)
    channel.send(message)
  })
}

export interface ChannelFigure {
  /** Round trips per second, median of the repeats. */
  messagesPerSecond: number
  /** Every repeat. */
  repeats: number[]
  /** CPU µs per round trip, both ends (this process and its worker thread, or this process and the child). */
  cpuMicrosPerMessage: number
}

/** Round trips per second with `batch` messages per post, WINDOW posts in flight, after one untimed round trip. */
/** CPU seconds the echo child processes used, all measurements so far (they are not in this process's own CPU). */
let childCpuSeconds = 0

async function measureOnce(make: () => Channel, messages: number, batch: number): Promise<{ rate: number; cpuMicros: number }> {
  const channel = make()
  try {
    const payload = batch === 1 ? SAMPLE : Array.from({ length: batch }, () => SAMPLE)
    await roundTrip(channel, payload)
    const posts = Math.ceil(messages / batch)
    const cpu0 = process.cpuUsage()
    const far0 = channel.farCpuSeconds()
    const started = performance.now()
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('worker-channel: a measurement took over 120 s')), 120_000)
      let sent = 0
      let received = 0
      const post = () => {
        sent++
        channel.send(payload)
      }
      channel.onMessage(() => {
        received++
        if (received === posts) {
          clearTimeout(timer)
          resolve()
        } else if (sent < posts) post()
      })
      for (let i = 0; i < WINDOW && sent < posts; i++) post()
    })
    const seconds = (performance.now() - started) / 1000
    const cpu = process.cpuUsage(cpu0)
    const cpuSeconds = (cpu.user + cpu.system) / 1e6 + (channel.farCpuSeconds() - far0)
    return { rate: Math.round((posts * batch) / seconds), cpuMicros: (cpuSeconds * 1e6) / (posts * batch) }
  } finally {
    childCpuSeconds += channel.farCpuSeconds()
    await channel.close()
  }
}

async function measure(make: () => Channel, messages: number, batch: number, repeats: number): Promise<ChannelFigure> {
  const runs: Array<{ rate: number; cpuMicros: number }> = []
  for (let i = 0; i < repeats; i++) runs.push(await measureOnce(make, messages, batch))
  const median = [...runs].sort((a, b) => a.rate - b.rate)[Math.floor((runs.length - 1) / 2)]!
  return { messagesPerSecond: median.rate, repeats: runs.map((r) => r.rate), cpuMicrosPerMessage: Math.round(median.cpuMicros * 100) / 100 }
}

export interface WorkerChannelOptions {
  /** Round trips per measurement, one message per post. */
  messages: number
  /** Round trips per batched measurement; default 10 × `messages`, so that it lasts long enough to time. */
  batchedMessages?: number
  /** Messages per post in the batched measurements. */
  batch?: number
  /** Measurements of each kind; the median is reported. */
  repeats?: number
}

export interface WorkerChannelResult {
  messages: number
  batchedMessages: number
  batch: number
  repeats: number
  messagesPerSecond: { threadOneByOne: number; threadBatched: number; processOneByOne: number; processBatched: number }
  figures: { threadOneByOne: ChannelFigure; threadBatched: ChannelFigure; processOneByOne: ChannelFigure; processBatched: ChannelFigure }
  /** CPU seconds of the echo child processes over the whole call (start-up included), to tell the measurement from other work. */
  childCpuSeconds: number
}

export async function measureWorkerChannel(options: WorkerChannelOptions): Promise<WorkerChannelResult> {
  const messages = Math.max(1, Math.min(Math.floor(options.messages), 10_000_000))
  const batchedMessages = Math.max(1, Math.min(Math.floor(options.batchedMessages ?? messages * 10), 100_000_000))
  const batch = Math.max(1, Math.min(Math.floor(options.batch ?? BATCH), 4096))
  const repeats = Math.max(1, Math.min(Math.floor(options.repeats ?? 1), 10))
  const childCpuBefore = childCpuSeconds
  const figures = {
    threadOneByOne: await measure(threadChannel, messages, 1, repeats),
    threadBatched: await measure(threadChannel, batchedMessages, batch, repeats),
    processOneByOne: await measure(processChannel, messages, 1, repeats),
    processBatched: await measure(processChannel, batchedMessages, batch, repeats),
  }
  return {
    messages,
    batchedMessages,
    batch,
    repeats,
    messagesPerSecond: {
      threadOneByOne: figures.threadOneByOne.messagesPerSecond,
      threadBatched: figures.threadBatched.messagesPerSecond,
      processOneByOne: figures.processOneByOne.messagesPerSecond,
      processBatched: figures.processBatched.messagesPerSecond,
    },
    figures,
    childCpuSeconds: Math.round((childCpuSeconds - childCpuBefore) * 100) / 100,
  }
}

if (isMain(import.meta.url)) {
  const quick = process.argv.includes('--quick')
  const result = await measureWorkerChannel({ messages: quick ? QUICK_MESSAGES : FULL_MESSAGES })
  console.log(
    JSON.stringify(
      {
        messages: result.messages,
        batchedMessages: result.batchedMessages,
        batch: result.batch,
        messagesPerSecond: result.messagesPerSecond,
      },
      null,
      2,
    ),
  )
}
