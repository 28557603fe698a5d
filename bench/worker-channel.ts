/**
 * Why workers are threads: the cost of the master↔worker hop, measured for the
 * two ways Node offers: worker_threads (postMessage) and child processes
 * (fork + IPC). A message of the size mswoole sends (a client's fields out, a
 * finished frame back) makes the round trip, one at a time and in batches.
 * Run: node --import tsx bench/worker-channel.ts [--quick]
 */
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'

const quick = process.argv.includes('--quick')
const MESSAGES = quick ? 20_000 : 100_000
const BATCH = 64
const ECHO = fileURLToPath(new URL('./worker-channel-echo.mjs', import.meta.url))
const sample = { fd: 17, method: 'index.index.index', name: 'hello', auth: { id: 1, type: 'wechatUser', code: 'room1', nickname: 'Tom' }, code: 'room1' }

interface Channel {
  send(message: unknown): void
  onMessage(listener: (message: unknown) => void): void
  close(): void
}

function threadChannel(): Channel {
  const worker = new Worker(ECHO)
  return { send: (m) => worker.postMessage(m), onMessage: (l) => worker.on('message', l), close: () => void worker.terminate() }
}

function processChannel(): Channel {
  const child = fork(ECHO, [], { serialization: 'advanced' })
  return { send: (m) => child.send(m as never), onMessage: (l) => child.on('message', l), close: () => child.kill() }
}

/** Round trips per second with `batch` messages per post, `window` batches in flight. */
async function measure(make: () => Channel, batch: number): Promise<number> {
  const channel = make()
  const posts = Math.ceil(MESSAGES / batch)
  const window = 16
  const started = performance.now()
  await new Promise<void>((resolve) => {
    let sent = 0
    let received = 0
    const post = () => {
      sent++
      channel.send(batch === 1 ? sample : Array.from({ length: batch }, () => sample))
    }
    channel.onMessage(() => {
      received++
      if (received === posts) return resolve()
      if (sent < posts) post()
    })
    for (let i = 0; i < window && sent < posts; i++) post()
  })
  const seconds = (performance.now() - started) / 1000
  channel.close()
  return Math.round((posts * batch) / seconds)
}

const results = {
  threadOneByOne: await measure(threadChannel, 1),
  threadBatched: await measure(threadChannel, BATCH),
  processOneByOne: await measure(processChannel, 1),
  processBatched: await measure(processChannel, BATCH),
}
console.log(JSON.stringify({ messages: MESSAGES, batch: BATCH, messagesPerSecond: results }, null, 2))
