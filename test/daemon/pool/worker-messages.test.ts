import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { cliJson, startDaemon, useProjects } from '../../helpers/cli.js'
import { mintToken, TestClient } from '../../helpers/client.js'
import { readLogLines } from '../../helpers/project.js'

const project = useProjects()

describe('messages from a worker thread', () => {
  it('logs a message type the master does not know as an error, and goes on serving', async () => {
    const p = await project()
    const appDir = path.join(p.root, 'app')
    await mkdir(path.join(appDir, 'Index', 'Controller'), { recursive: true })
    // Posted straight to the master, past the App: what a worker of another build could send.
    await writeFile(
      path.join(appDir, 'Index', 'Controller', 'Index.ts'),
      `import { parentPort } from 'node:worker_threads'
export default class Index {
  index(app: { sendSuccessMessage(fd: number, e: string, i: string): void }, data: { fd: number }): void {
    parentPort?.postMessage([{ t: 'mystery', seq: 1 }])
    app.sendSuccessMessage(data.fd, 'after', 'still here')
  }
}
`,
    )
    const q = await project({ app: appDir })
    const { outside } = await startDaemon(q)
    const token = await mintToken({ id: 1, type: 'wechatUser', code: 'room1', nickname: 'Ann' })
    const c = await TestClient.connect(`ws://127.0.0.1:${outside.port}/?auth=${token}`)
    // The stray message was posted before the reply, on the same channel: it is handled (and logged) first.
    expect(await c.ask({ method: 'index.index.index' }, 'after')).toMatchObject({ status: 200, info: 'still here' })
    c.close()

    const unknown = (await readLogLines(q)).filter(
      (line) => line.msg === 'unknown message type from a worker; the master and worker builds differ',
    )
    expect(unknown).toHaveLength(1)
    expect(unknown[0]).toMatchObject({ level: 'error', type: 'mystery', code: 'MSW_ERR_INTERNAL', worker: expect.any(Number) })
    const { exitCode, json } = await cliJson<{ workers: unknown[] }>(q, ['status'])
    expect(exitCode).toBe(0)
    expect(json.workers.length).toBeGreaterThan(0)
  })
})
