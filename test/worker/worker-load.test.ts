import { afterEach, describe, expect, it } from 'vitest'
import { makeTempApp, type TempApp } from './temp-app.js'
import { WorkerHarness } from './worker-harness.js'

/** Loading as the master sees it: a real worker thread, `ready` or `loadError` then exit 1. */

const cleanup: Array<() => Promise<void>> = []
afterEach(async () => {
  await Promise.all(cleanup.splice(0).map((f) => f()))
})

async function tempApp(): Promise<TempApp> {
  const app = await makeTempApp()
  cleanup.push(() => app.remove())
  return app
}

function start(appDir: string, generation = 0): WorkerHarness {
  const worker = new WorkerHarness({ appDir, workerId: 0, generation })
  cleanup.push(() => worker.stop())
  return worker
}

async function loadErrorOf(appDir: string) {
  const worker = start(appDir)
  const error = await worker.take('loadError')
  expect(await worker.exited).toBe(1)
  expect(worker.received.some((m) => m.t === 'ready')).toBe(false)
  return error
}

describe('worker loading', () => {
  it('reports a TypeScript syntax error with the file and line, then exits 1', async () => {
    const app = await tempApp()
    const file = await app.write('Index/Controller/Index.ts', 'export default class Index {\n  index() {\n    const x = ;\n  }\n}\n')
    const error = await loadErrorOf(app.dir)
    expect(error).toMatchObject({ file, line: 3 })
    expect(error.message).toContain(`${file}:3`)
    expect(error.message).toContain('Unexpected ";"')
  })

  it('reports a syntax error in an .mjs controller with the file and line', async () => {
    const app = await tempApp()
    const file = await app.write('Index/Controller/Index.mjs', 'export default class Index {\n  index() {\n    return (\n  }\n}\n')
    const error = await loadErrorOf(app.dir)
    expect(error.file).toBe(file)
    expect(error.line).toBe(4)
    expect(error.message).toContain('Unexpected token')
  })

  it('reports a throw at import with the file, line, message and stack', async () => {
    const app = await tempApp()
    const file = await app.write(
      'Index/Controller/Index.ts',
      "const ready: boolean = false\nif (!ready) throw new Error('database not configured')\nexport default class Index {}\n",
    )
    const error = await loadErrorOf(app.dir)
    expect(error).toMatchObject({ file, line: 2 })
    expect(error.message).toContain('database not configured')
    expect(error.stack).toContain('Error: database not configured')
  })

  it('reports a throw in a helper the controller imports, at the helper', async () => {
    const app = await tempApp()
    const helper = await app.write('Index/Server/db.ts', "export const db = {}\nthrow new Error('no database')\n")
    const file = await app.write(
      'Index/Controller/Index.ts',
      "import { db } from '../Server/db.js'\nexport default class Index { index() { return db } }\n",
    )
    const error = await loadErrorOf(app.dir)
    expect(error).toMatchObject({ file: helper, line: 2 })
    expect(error.message).toContain(`imported by ${file}`)
  })

  it('reports a controller constructor that throws, at its line', async () => {
    const app = await tempApp()
    const file = await app.write(
      'Index/Controller/Index.ts',
      "export default class Index {\n  constructor() {\n    throw new Error('no config')\n  }\n}\n",
    )
    const error = await loadErrorOf(app.dir)
    expect(error).toMatchObject({ file, line: 3 })
    expect(error.message).toContain('no config')
  })

  it('reports a missing application folder', async () => {
    const app = await tempApp()
    const error = await loadErrorOf(`${app.dir}/missing`)
    expect(error.file).toBe(`${app.dir}/missing`)
  })

  it('runs onReload only when the master retires the generation, then reports done', async () => {
    const app = await tempApp()
    await app.write(
      'Index/Controller/Index.ts',
      "export default class Index {\n  onReload(app: { log: { info(msg: string): void } }) { app.log.info('reloaded') }\n}\n",
    )
    const worker = start(app.dir, 1)
    await worker.take('ready')
    // Not at start: a message is answered first, and no onReload log came before it.
    worker.post({ t: 'message', seq: 1, data: { fd: 1, method: 'nope.nope', auth: {}, code: '' } })
    await worker.take('done')
    expect(worker.received.some((m) => m.t === 'log' && m.msg === 'reloaded')).toBe(false)
    worker.post({ t: 'retire', seq: 2 })
    expect(await worker.take('log', (m) => m.msg === 'reloaded')).toMatchObject({ level: 'info' })
    expect(await worker.take('done')).toEqual({ t: 'done', seq: 2 })
  })

  it('on end, says it has ended and then exits 0', async () => {
    const app = await tempApp()
    await app.write('Index/Controller/Index.ts', 'export default class Index {\n  index() {}\n}\n')
    const worker = start(app.dir)
    await worker.take('ready')
    worker.post({ t: 'end' })
    expect(await worker.take('ended')).toEqual({ t: 'ended' })
    expect(await worker.exited).toBe(0)
  })
})
