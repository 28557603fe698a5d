import { cp, mkdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { execa } from 'execa'
import { describe, expect, it } from 'vitest'
import type { ReloadResult, StatusResult } from '../../../src/contracts/control-api.js'
import { BIN, cli, cliJson, startDaemon, useProjects } from '../../helpers/cli.js'
import { mintToken, TestClient } from '../../helpers/client.js'
import { LineCollector } from '../../helpers/lines.js'
import { FIXTURE_APP_SOURCES, processesMentioning, readLogLines, type Project } from '../../helpers/project.js'

const project = useProjects()

/** A project with its own copy of the fixture app, so a test can edit the code on disk; two workers, as a generation has by default. */
async function editableProject(setting: Record<string, unknown> = {}): Promise<{ p: Project; counter: string }> {
  // With the standby generation, as a daemon runs by default.
  const p = await project({ app: './app', setting: { ack: false, worker_num: 2, reload_standby: true, ...setting } })
  await cp(FIXTURE_APP_SOURCES, path.join(p.root, 'app'), { recursive: true })
  // An ES-module scope, as an application package would declare it (top-level await needs one).
  await writeFile(path.join(p.root, 'app', 'package.json'), '{"type":"module"}\n')
  return { p, counter: path.join(p.root, 'app', 'Load', 'Controller', 'Counter.ts') }
}

async function connect(port: number, id: number): Promise<TestClient> {
  return TestClient.connect(`ws://127.0.0.1:${port}/?auth=${await mintToken({ id, type: 'wechatUser', code: 'load' })}`)
}

/**
 * Follows the daemon's log as it is written (`mswoole logs -f`), to await what
 * it says. Resolves once following: the one tail line arrives after the subscription.
 */
async function followLog(p: Project): Promise<{ log: LineCollector; stop(): void; ended: Promise<unknown> }> {
  const child = execa(process.execPath, [BIN, 'logs', '-f', '--json', '-n', '1', '-c', p.configDir], { reject: false })
  const log = new LineCollector(child.stdout, 'mswoole logs -f')
  await log.waitForJson<{ msg: string }>(() => true)
  return { log, stop: () => child.kill(), ended: child }
}

describe('mswoole reload', () => {
  it('swaps workers under continuous load: every request answered once, in order, no close', async () => {
    const { p, counter } = await editableProject({ max_messages_per_second: 100_000 })
    const { outside } = await startDaemon(p)
    const clients = await Promise.all(Array.from({ length: 20 }, (_, i) => connect(outside.port, i + 1)))
    const closes: number[] = []
    for (const c of clients) void c.closed().then(({ code }) => closes.push(code))
    let sent = 0
    let answered = 0
    const versions = new Set<string>()
    let running = true
    let progress: (() => void) | undefined
    // Each client runs a closed loop of pings and checks every reply matches its request, in order.
    const loops = clients.map(async (c) => {
      for (let n = 0; running && n < 100_000; n++) {
        sent++
        const reply = await c.ask({ method: 'load.counter.ping', n }, 'pong')
        expect((reply.param as { n: number }).n).toBe(n)
        versions.add(reply.info)
        answered++
        progress?.()
      }
    })
    await writeFile(counter, (await readFile(counter, 'utf8')).replace("const VERSION = 'v1'", "const VERSION = 'v2'"))
    const first = await cliJson<ReloadResult>(p, ['reload'])
    expect(first.exitCode).toBe(0)
    expect(first.json).toMatchObject({ generation: 2, previous: 1 })
    // Two in a row.
    const second = await cliJson<ReloadResult>(p, ['reload'])
    expect(second.json).toMatchObject({ generation: 3, previous: 2 })
    // Let traffic run on the new code for a while before stopping the load.
    const target = answered + 200
    await new Promise<void>((resolve) => (progress = () => answered >= target && resolve()))
    running = false
    await Promise.all(loops)
    expect(answered).toBe(sent)
    expect(closes).toEqual([])
    expect(versions).toEqual(new Set(['v1', 'v2']))
    const status = await cliJson<StatusResult>(p, ['status'])
    expect(status.json.generation).toBe(3)
    expect(status.json.workers.every((w) => w.generation === 3)).toBe(true)
    for (const c of clients) c.close()
    const onReload = (await readLogLines(p)).filter((line) => line.msg === 'onReload ran')
    // Each retired generation ran the hook in each of its workers: v1 then v2 code.
    expect(onReload.map((line) => line.version)).toEqual(['v1', 'v1', 'v2', 'v2'])
  })

  it("holds a connection's next message until its earlier one finishes in the old generation", async () => {
    const { p, counter } = await editableProject()
    const { outside } = await startDaemon(p)
    const follower = await followLog(p)
    try {
      const c = await connect(outside.port, 1)
      c.send({ method: 'load.counter.slow', ms: 3000, n: 1 })
      await writeFile(counter, (await readFile(counter, 'utf8')).replace("const VERSION = 'v1'", "const VERSION = 'v2'"))
      const reload = cliJson<ReloadResult>(p, ['reload'])
      await follower.log.waitForJson<{ msg: string }>((line) => line.msg === 'reload: new generation serving')
      c.send({ method: 'load.counter.ping', n: 2 })
      const firstReply = JSON.parse(await c.nextFrame())
      const secondReply = JSON.parse(await c.nextFrame())
      expect(firstReply).toMatchObject({ event: 'slowDone', info: 'v1', param: { n: 1 } })
      expect(secondReply).toMatchObject({ event: 'pong', info: 'v2', param: { n: 2 } })
      expect((await reload).exitCode).toBe(0)
      c.close()
    } finally {
      follower.stop()
    }
  })

  it('loads the code on disk when the reload starts, though the next generation booted long before', async () => {
    // A JavaScript-only application: its standby workers boot with no TypeScript hooks.
    const p = await project({ app: './app', setting: { worker_num: 2, reload_standby: true }, log: { level: 'debug' } })
    const controllers = path.join(p.root, 'app', 'Index', 'Controller')
    await mkdir(controllers, { recursive: true })
    await writeFile(path.join(p.root, 'app', 'package.json'), '{"type":"module"}\n')
    await writeFile(
      path.join(controllers, 'Index.js'),
      "export default class Index { index(app, data) { app.sendSuccessMessage(data.fd, 'index', 'js') } }\n",
    )
    const { outside } = await startDaemon(p)
    const follower = await followLog(p)
    const onStandby = (generation: number) => (line: { msg: string; generation?: number }) =>
      line.msg === 'worker on standby for the next reload' && line.generation === generation
    await follower.log.waitForJson(onStandby(2))
    // Added after the start, when the next generation's threads are already waiting: a TypeScript controller.
    const extra = path.join(p.root, 'app', 'Extra', 'Controller')
    await mkdir(extra, { recursive: true })
    await writeFile(
      path.join(extra, 'Hello.ts'),
      `export default class Hello {
  hi(app: { sendSuccessMessage(fd: number, e: string, i: string): void }, data: { fd: number }): void {
    const from: string = 'ts'
    app.sendSuccessMessage(data.fd, 'hi', from)
  }
}
`,
    )
    const reload = await cliJson<ReloadResult>(p, ['reload'])
    expect(reload.exitCode).toBe(0)
    expect(reload.json.generation).toBe(2)
    const c = await connect(outside.port, 1)
    expect(await c.ask({ method: 'extra.hello.hi' }, 'hi')).toMatchObject({ status: 200, info: 'ts' })
    expect(await c.ask({ method: 'index.index.index' }, 'index')).toMatchObject({ info: 'js' })
    c.close()
    // And again from the standby made after that reload.
    await follower.log.waitForJson(onStandby(3))
    await writeFile(path.join(extra, 'Hello.ts'), (await readFile(path.join(extra, 'Hello.ts'), 'utf8')).replace("'ts'", "'ts again'"))
    expect((await cliJson<ReloadResult>(p, ['reload'])).json.generation).toBe(3)
    const d = await connect(outside.port, 2)
    expect(await d.ask({ method: 'extra.hello.hi' }, 'hi')).toMatchObject({ info: 'ts again' })
    d.close()
    follower.stop()
  })

  it('changes nothing when the new code does not load, and says where it broke', async () => {
    const { p, counter } = await editableProject()
    const { outside } = await startDaemon(p)
    const c = await connect(outside.port, 1)
    await writeFile(counter, (await readFile(counter, 'utf8')).replace("const VERSION = 'v1'", "const VERSION = 'v2'\nconst broken = ;"))
    const result = await cli(p, ['reload'])
    expect(result.exitCode).toBe(1)
    expect(result.stderr).toContain('MSW_ERR_APP_LOAD')
    expect(result.stderr).toContain('Counter.ts')
    expect(result.stderr).toMatch(/Counter\.ts:\d+|line \d+/)
    expect((await cliJson<StatusResult>(p, ['status'])).json.generation).toBe(1)
    expect(await c.ask({ method: 'load.counter.ping', n: 7 }, 'pong')).toMatchObject({ info: 'v1', param: { n: 7 } })
    c.close()
  })

  it('changes nothing when the new code throws at import or never gets ready', async () => {
    // Short enough that the hung reload below fails soon, long enough for the first start on a machine busy with other suites.
    const { p, counter } = await editableProject({ worker_start_timeout: 10 })
    const { outside } = await startDaemon(p)
    const c = await connect(outside.port, 1)
    const original = await readFile(counter, 'utf8')
    await writeFile(counter, `throw new Error('refusing to load')\n${original}`)
    const thrown = await cli(p, ['reload'])
    expect(thrown.exitCode).toBe(1)
    expect(thrown.stderr).toContain('refusing to load')
    expect(thrown.stderr).toContain('Counter.ts')
    // A load that waits on something slow (a timer here, a database in life): the worker never says ready in time.
    await writeFile(counter, `await new Promise((resolve) => setTimeout(resolve, 600_000))\n${original}`)
    const hung = await cli(p, ['reload'])
    expect(hung.exitCode).toBe(1)
    expect(hung.stderr).toContain('did not report ready')
    expect((await cliJson<StatusResult>(p, ['status'])).json.generation).toBe(1)
    expect(await c.ask({ method: 'load.counter.ping', n: 8 }, 'pong')).toMatchObject({ info: 'v1', param: { n: 8 } })
    c.close()
  })

  it('refuses a reload once a stop has begun, and the stop completes', async () => {
    const { p } = await editableProject()
    const { outside } = await startDaemon(p)
    const follower = await followLog(p)
    try {
      const c = await connect(outside.port, 1)
      await c.ask({ method: 'load.counter.join' }, 'joined')
      // The slow onClose keeps the daemon in "stopping" long enough to ask for a reload.
      const stop = cliJson(p, ['stop', '--timeout', '20'])
      await follower.log.waitForJson<{ msg: string }>((line) => line.msg === 'stopping')
      const reload = await cli(p, ['reload'])
      expect(reload.exitCode).not.toBe(0)
      expect(reload.stderr).toMatch(/MSW_ERR_RELOAD_REFUSED|MSW_ERR_NOT_RUNNING|MSW_ERR_IPC_CLOSED/)
      expect((await stop).exitCode).toBe(0)
      // The follower ends by itself once the daemon has gone; then nothing of the project is left running.
      await follower.ended
      expect(await processesMentioning(p.root)).toEqual([])
    } finally {
      follower.stop()
    }
  })
})

describe('worker isolation', () => {
  it('replaces a worker that crashes; its request gets 500 and the connection stays', async () => {
    const { p } = await editableProject()
    const { outside } = await startDaemon(p)
    const c = await connect(outside.port, 1)
    const before = (await cliJson<StatusResult>(p, ['status'])).json.workers.map((w) => w.threadId)
    expect(await c.ask({ method: 'load.counter.crash' }, 'controllerError')).toMatchObject({ status: 500 })
    expect(await c.ask({ method: 'load.counter.ping', n: 1 }, 'pong')).toMatchObject({ param: { n: 1 } })
    const after = (await cliJson<StatusResult>(p, ['status'])).json.workers
    expect(after).toHaveLength(before.length)
    expect(after.map((w) => w.threadId)).not.toEqual(before)
    c.close()
  })

  it('answers 504 when a handler runs past max_execution_time, and replaces its worker', async () => {
    const { p } = await editableProject({ max_execution_time: 1 })
    const { outside } = await startDaemon(p)
    const c = await connect(outside.port, 1)
    const other = await connect(outside.port, 2)
    expect(await c.ask({ method: 'load.counter.hang' }, 'controllerTimeout')).toMatchObject({ status: 504 })
    expect(await c.ask({ method: 'load.counter.ping', n: 2 }, 'pong')).toMatchObject({ param: { n: 2 } })
    expect(await other.ask({ method: 'load.counter.ping', n: 3 }, 'pong')).toMatchObject({ param: { n: 3 } })
    c.close()
    other.close()
  })

  it('replaces a worker that outgrows worker_max_memory; its request gets 500', async () => {
    const { p } = await editableProject({ worker_max_memory: 32 })
    const { outside } = await startDaemon(p)
    const c = await connect(outside.port, 1)
    expect(await c.ask({ method: 'load.counter.hog' }, 'controllerError')).toMatchObject({ status: 500 })
    expect(await c.ask({ method: 'load.counter.ping', n: 4 }, 'pong')).toMatchObject({ param: { n: 4 } })
    const status = await cliJson<StatusResult>(p, ['status'])
    expect(status.json.workers).toHaveLength(2)
    c.close()
  })
})
