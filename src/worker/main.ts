import { getHeapStatistics } from 'node:v8'
import { parentPort, workerData, type MessagePort } from 'node:worker_threads'
import { WorkerApp, type PostToMaster } from './app.js'
import { batcher, unbatch } from '../contracts/thread-batch.js'
import { packFromWorker, unpackToWorker } from '../contracts/thread-packing.js'
import { controllerFiles, loadControllers, type ControllerIndex } from './controller-loader.js'
import { prepareImport } from './module-importer.js'
import { Dispatcher, errorFields } from './dispatcher.js'
import { MswError } from '../errors.js'
import { ControllerLoadError } from './load-error.js'
import { runMigrations } from './migrations.js'
import type { FromWorker, ToWorker, WorkerData } from '../contracts/thread-channel.js'
import { setWireFormat } from '../protocol/wire-format.js'

/**
 * The worker thread: loads the application (and, in the first worker of a
 * generation, applies its migrations), says `ready` (or `loadError` and
 * exits 1), then runs controllers for the master's messages until `end`.
 * Started as dist/worker/main.js from a build, or through ./bootstrap.mjs from sources.
 */

async function main(port: MessagePort, data: WorkerData): Promise<void> {
  // Each thread has its own modules: the App's envelopes follow the master's format.
  if (data?.wire !== undefined) setWireFormat(data.wire)
  const postPacked = batcher<FromWorker | string>((batch) => port.postMessage(batch))
  const post: PostToMaster = (message) => postPacked(packFromWorker(message))
  const app = new WorkerApp(post, data?.db === undefined ? {} : { db: data.db })
  // A controller's stray promise must not take the worker, and its other fds, down with it.
  process.on('unhandledRejection', (reason) => app.log.error('unhandled rejection in the application', errorFields(reason)))

  let controllers: ControllerIndex
  try {
    if (typeof data?.appDir !== 'string') throw new Error('workerData.appDir must be the application folder')
    if (data.standby === true) await standBy(port, data.appDir)
    controllers = await loadControllers(data.appDir)
    // After the controllers load: code that fails to load never changes the schema the serving generation uses.
    if (data.migrate === true) await runMigrations(data.appDir, app)
  } catch (err) {
    await app.destroyDb().catch(() => undefined)
    // Unbatched: the port closes right after, before a batch would flush.
    port.postMessage(loadErrorMessage(err))
    process.exitCode = 1
    port.close()
    // Exits on its own once the port is closed, unless the app left a timer or socket behind.
    setTimeout(() => process.exit(1), 1000).unref()
    return
  }
  for (const file of controllers.skipped) app.log.warn('not a controller name, file skipped', { file })

  const dispatcher = new Dispatcher({ controllers, app, post, ...(data.client === undefined ? {} : { client: data.client }) })
  port.on('message', (received: ToWorker | string | Array<ToWorker | string>) => {
    for (const message of unbatch(received)) handle(unpackToWorker(message))
  })
  function handle(message: ToWorker): void {
    switch (message.t) {
      case 'frame':
        void dispatcher.frame(message.seq, message)
        break
      case 'load':
        // Only a standby worker waits for it, before this handler exists.
        break
      case 'message':
        void dispatcher.message(message.seq, message.data)
        break
      case 'close':
        void dispatcher.close(message.seq, message.controllers, message.event)
        break
      case 'retire':
        void dispatcher.retire(message.seq)
        break
      case 'result':
        if (!app.settle(message)) app.log.debug('result for no waiting call (timed out?)', { id: message.id })
        break
      case 'end':
        void end()
        break
      default:
        app.log.warn('unknown message from the master', { t: (message as { t?: unknown }).t })
    }
  }
  async function end(): Promise<void> {
    try {
      await app.destroyDb()
    } catch (err) {
      app.log.warn('closing the database failed', errorFields(err))
    }
    post({ t: 'ended' })
    // One turn, so the batch holding those lines reaches the master before the thread goes.
    await new Promise((resolve) => setImmediate(resolve))
    process.exit(0)
  }
  post({ t: 'ready', controllers: controllers.names })
  const stats = setInterval(() => post({ t: 'stats', heapUsed: getHeapStatistics().used_heap_size }), STATS_INTERVAL_MS)
  stats.unref()
  post({ t: 'stats', heapUsed: getHeapStatistics().used_heap_size })
}

const STATS_INTERVAL_MS = 2000

/**
 * A worker started ahead of a reload: sets up the TypeScript hooks if the
 * application has TypeScript controllers now, then waits for `load`, so the
 * controllers it loads are the ones on disk when the reload starts.
 */
async function standBy(port: MessagePort, appDir: string): Promise<void> {
  await prepareImport(await controllerFiles(appDir).catch(() => []))
  port.postMessage([{ t: 'standby' } satisfies FromWorker])
  await new Promise<void>((resolve) => {
    const onMessage = (received: ToWorker | string | Array<ToWorker | string>): void => {
      if (!unbatch(received).some((message) => typeof message !== 'string' && message.t === 'load')) return
      port.off('message', onMessage)
      resolve()
    }
    port.on('message', onMessage)
  })
}

function loadErrorMessage(err: unknown): Extract<FromWorker, { t: 'loadError' }> {
  const message: Extract<FromWorker, { t: 'loadError' }> = { t: 'loadError', message: err instanceof Error ? err.message : String(err) }
  if (err instanceof ControllerLoadError) {
    message.file = err.file
    if (err.line !== undefined) message.line = err.line
  } else if (err instanceof MswError) {
    // A migration that failed, a database that cannot be reached: the master reports it under its own code.
    message.code = err.code
    if (err.details !== undefined) message.details = err.details
  }
  // The stack of what went wrong in the app, not of the loader that reported it.
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err
  if (cause instanceof Error && cause.stack !== undefined) message.stack = cause.stack
  return message
}

if (parentPort === null) throw new Error('mswoole worker: main.js runs inside a worker thread started by the master')
await main(parentPort, workerData as WorkerData)
