import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { startDaemon, useProjects, useSharedDaemon } from '../../helpers/cli.js'
import { mintToken, TestClient } from '../../helpers/client.js'
import { poll } from '../../helpers/poll.js'
import { readLogLines } from '../../helpers/project.js'

const project = useProjects()

async function client(port: number, code = 'room1'): Promise<TestClient> {
  const token = await mintToken({ id: 42, type: 'wechatUser', code, nickname: 'Tom' })
  return TestClient.connect(`ws://127.0.0.1:${port}/?auth=${token}`)
}

describe('the MSwoole-ws protocol', () => {
  describe('on a daemon with the default settings', () => {
    // Read-only for the daemon: each test opens its own clients and closes them.
    const shared = useSharedDaemon()

    it('answers the seed README example: ack first, then success', async () => {
      const { outside } = shared().status
      const c = await client(outside.port)
      c.send({ method: 'index.index.index', name: 'hello' })
      expect(JSON.parse(await c.nextFrame())).toMatchObject({ status: 200, event: 'receiveMessage' })
      const reply = JSON.parse(await c.nextFrame())
      expect(reply).toMatchObject({ status: 200, event: 'success' })
      expect(Object.keys(reply).sort()).toEqual(['event', 'info', 'status'])
      c.close()
    })

    it('answers the text keepalive 2 with 3', async () => {
      const { outside } = shared().status
      const c = await client(outside.port)
      c.send('2')
      expect(await c.nextFrame()).toBe('3')
      c.close()
    })

    it('answers 404 for an unknown controller and 405 for an unknown action', async () => {
      const { outside } = shared().status
      const c = await client(outside.port)
      expect(await c.ask({ method: 'nope.index.index' }, 'controllerNotFound')).toMatchObject({ status: 404 })
      expect(await c.ask({ method: 'a.b.c.d' }, 'controllerNotFound')).toMatchObject({ status: 404 })
      expect(await c.ask({ method: 'index.index.nope' }, 'methodNotFound')).toMatchObject({ status: 405 })
      c.close()
    })

    it('answers 500 when an action throws, logs the stack, and shows the client no stack', async () => {
      const {
        project: p,
        status: { outside },
      } = shared()
      const c = await client(outside.port)
      const reply = await c.ask({ method: 'index.index.fail' }, 'controllerError')
      expect(reply.status).toBe(500)
      expect(JSON.stringify(reply)).not.toMatch(/at |\.ts|\/app\//)
      // The connection is still served.
      expect(await c.ask({ method: 'echo' }, 'echo')).toMatchObject({ status: 200 })
      c.close()
      // Only this test makes an action throw, so this is its error; poll until the log file has it.
      const isError = (line: Record<string, unknown>): boolean => line.level === 'error' && JSON.stringify(line).includes('Index')
      const lines = await poll(
        () => readLogLines(p),
        (all) => all.some(isError),
      )
      expect(JSON.stringify(lines.find(isError))).toMatch(/stack/)
    })

    it('gives controllers the client fields HTML-escaped, plus fd, auth and code', async () => {
      const { outside } = shared().status
      const c = await client(outside.port, 'hall-9')
      const reply = await c.ask({ method: 'echo', text: '<b>"hi" & \'bye\'</b>', nested: { list: ['<i>'] }, n: 5 }, 'echo')
      expect(reply.param).toMatchObject({
        text: '&lt;b&gt;&quot;hi&quot; &amp; &#039;bye&#039;&lt;/b&gt;',
        nested: { list: ['&lt;i&gt;'] },
        n: 5,
        code: 'hall-9',
        auth: { id: 42, type: 'wechatUser', nickname: 'Tom' },
      })
      expect(typeof (reply.param as { fd: unknown }).fd).toBe('number')
      c.close()
    })

    it('serves a small HTML page to a plain GET', async () => {
      const { outside } = shared().status
      const res = await fetch(`http://127.0.0.1:${outside.port}/`)
      expect(res.status).toBe(200)
      expect(res.headers.get('content-type')).toContain('text/html')
      expect(await res.text()).toContain('<h1>')
    })
  })

  describe('on a daemon with setting.ack and setting.escape_html off', () => {
    // Neither setting bears on what the other's test checks (routing; escaping of echoed text).
    const quiet = useSharedDaemon({ setting: { ack: false, escape_html: false } })

    it('routes 1 to 3 segments case-insensitively, defaulting to Index.Index.index', async () => {
      const { outside } = quiet().status
      const c = await client(outside.port)
      c.send({})
      expect(JSON.parse(await c.nextFrame())).toMatchObject({ event: 'success' })
      for (const method of ['echo', 'index.echo', 'INDEX.Index.ECHO', '.index.index.echo.']) {
        c.send({ method })
        expect(JSON.parse(await c.nextFrame()), method).toMatchObject({ status: 200, event: 'echo' })
      }
      c.close()
    })

    it('leaves strings as sent with setting.escape_html off', async () => {
      const { outside } = quiet().status
      const c = await client(outside.port)
      const reply = await c.ask({ method: 'echo', text: '<b>' }, 'echo')
      expect(reply.param).toMatchObject({ text: '<b>' })
      c.close()
    })
  })

  it('falls back to onMessage for a missing action, from TypeScript controllers in the app folder', async () => {
    const p = await project()
    const appDir = path.join(p.root, 'app')
    await mkdir(path.join(appDir, 'Chat', 'Controller'), { recursive: true })
    await mkdir(path.join(appDir, 'Chat', 'Server'), { recursive: true })
    await writeFile(path.join(appDir, 'Chat', 'Server', 'format.ts'), 'export const shout = (s: string): string => s.toUpperCase()\n')
    await writeFile(
      path.join(appDir, 'Chat', 'Controller', 'Room.ts'),
      `import { shout } from '../Server/format.ts'
export default class Room {
  onMessage(app: { sendSuccessMessage(fd: number, e: string, i: string, p?: unknown): void }, data: { fd: number; method?: string }): void {
    app.sendSuccessMessage(data.fd, 'fallback', shout(String(data.method)))
  }
}
`,
    )
    const q = await project({ app: appDir })
    const { outside } = await startDaemon(q)
    const c = await client(outside.port)
    expect(await c.ask({ method: 'chat.room.whatever' }, 'fallback')).toMatchObject({ status: 200, info: 'CHAT.ROOM.WHATEVER' })
    c.close()
  })
})
