import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { callMethod, loadControllers } from '../../src/worker/controller-loader.js'
import { ControllerLoadError } from '../../src/worker/load-error.js'
import { makeTempApp, type TempApp } from './temp-app.js'

const apps: TempApp[] = []
async function tempApp(options?: { module?: boolean }): Promise<TempApp> {
  const app = await makeTempApp(options)
  apps.push(app)
  return app
}
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.remove()))
})

/** The rejection of `promise`, which must be a ControllerLoadError. */
async function loadError(promise: Promise<unknown>): Promise<ControllerLoadError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(ControllerLoadError)
  return err as ControllerLoadError
}

// Where errors point is checked in a real worker (worker-load.test.ts): vitest's own
// import and stack handling stand in for Node's in this process.
describe('loadControllers', () => {
  it('loads a TypeScript controller that imports a helper, one instance per controller', async () => {
    const app = await tempApp()
    await app.write('Live/Server/names.ts', 'export const roomKey = (code: string): string => `user:${code}`\n')
    await app.write(
      'Live/Controller/User.ts',
      `import { roomKey } from '../Server/names.js'
export default class User {
  joins = 0
  join(_app: unknown, data: { code: string }): string { this.joins++; return roomKey(data.code) + ':' + this.joins }
}
`,
    )
    const index = await loadControllers(app.dir)
    expect(index.names).toEqual(['Live.User'])
    const user = index.find('live', 'user')!
    expect(user.file).toBe(path.join(app.dir, 'Live/Controller/User.ts'))
    expect(callMethod(user, 'join', [{}, { code: 'c1' }])).toBe('user:c1:1')
    expect(callMethod(user, 'join', [{}, { code: 'c1' }])).toBe('user:c1:2')
  })

  it('gives controllers that import the same helper one shared copy of it', async () => {
    const app = await tempApp()
    await app.write('Common/state.ts', 'export const seen: string[] = []\n')
    for (const name of ['A', 'B']) {
      await app.write(
        `Live/Controller/${name}.ts`,
        `import { seen } from '../../Common/state.js'\nseen.push('${name}')\nexport default class ${name} { seen() { return seen.join() } }\n`,
      )
    }
    const index = await loadControllers(app.dir)
    expect(callMethod(index.find('live', 'b')!, 'seen', [])).toBe('A,B')
  })

  it('loads .js and .mjs controllers, and a TypeScript one outside a "type": "module" package', async () => {
    const app = await tempApp({ module: false })
    await app.write('Index/Controller/Index.ts', 'export default class Index { index(): string { return "ts" } }\n')
    await app.write('Index/Controller/Plain.mjs', 'export default class Plain { index() { return "mjs" } }\n')
    await app.write('Other/Controller/Js.js', 'module.exports = { default: class Js { index() { return "js" } } }\n')
    const index = await loadControllers(app.dir)
    expect(index.names.sort()).toEqual(['Index.Index', 'Index.Plain', 'Other.Js'])
    expect(callMethod(index.find('index', 'index')!, 'index', [])).toBe('ts')
    expect(callMethod(index.find('index', 'plain')!, 'index', [])).toBe('mjs')
    expect(callMethod(index.find('other', 'js')!, 'index', [])).toBe('js')
  })

  it('finds controllers and actions in any case', async () => {
    const app = await tempApp()
    await app.write('Live/Controller/WallScreen.ts', 'export default class WallScreen { showMessage(): string { return "shown" } }\n')
    const index = await loadControllers(app.dir)
    const wall = index.find('LIVE', 'wallscreen')!
    expect(index.findByName('live.WALLSCREEN')).toBe(wall)
    expect(wall.actions.get('showmessage')).toBe('showMessage')
  })

  it('indexes own functions of the prototype chain, not the constructor, _helpers, getters, fields or hooks', async () => {
    const app = await tempApp()
    await app.write(
      'Index/Controller/Index.ts',
      `class Base { inherited() {} overridden() { return 'base' } }
export default class Index extends Base {
  field = () => 'field'
  constructor() { super() }
  index() {}
  override overridden() { return 'derived' }
  _helper() {}
  get computed(): string { throw new Error('a getter must not run while indexing') }
  onMessage() {}
  onClose() {}
  onReload() {}
  static create() {}
}
`,
    )
    const controller = (await loadControllers(app.dir)).find('index', 'index')!
    expect([...controller.actions.keys()].sort()).toEqual(['index', 'inherited', 'overridden'])
    expect(callMethod(controller, controller.actions.get('overridden')!, [])).toBe('derived')
    expect([...controller.hooks].sort()).toEqual(['onClose', 'onMessage', 'onReload'])
    for (const name of [
      'constructor',
      '__proto__',
      'prototype',
      'tostring',
      'hasownproperty',
      '_helper',
      'field',
      'computed',
      'create',
      'onmessage',
    ]) {
      expect(controller.actions.has(name), name).toBe(false)
    }
  })

  it('ignores modules without a Controller folder and skips files that cannot be controller names', async () => {
    const app = await tempApp()
    await app.write('Common/util.ts', 'export const x = 1\n')
    await app.write('Index/Controller/Index.ts', 'export default class Index { index() {} }\n')
    await app.write('Index/Controller/Index.test.ts', 'throw new Error("never loaded")\n')
    await app.write('Index/Controller/types.d.ts', 'export type T = 1\n')
    await app.write('Index/Controller/notes.md', '# notes\n')
    const index = await loadControllers(app.dir)
    expect(index.names).toEqual(['Index.Index'])
    expect(index.skipped).toEqual([path.join(app.dir, 'Index/Controller/Index.test.ts')])
  })

  it('reports a TypeScript syntax error with its file and line', async () => {
    const app = await tempApp()
    const file = await app.write('Index/Controller/Index.ts', 'export default class Index {\n  index() {\n    const x = ;\n  }\n}\n')
    const err = await loadError(loadControllers(app.dir))
    expect(err.code).toBe('MSW_ERR_APP_LOAD')
    expect(err.file).toBe(file)
    expect(err.line).toBe(3)
    expect(err.message).toContain(`${file}:3`)
  })

  it('reports a syntax error in a helper at the helper, naming the controller that imports it', async () => {
    const app = await tempApp()
    const helper = await app.write('Index/Server/helper.ts', 'export const a = 1\nexport const b = (\n')
    const file = await app.write(
      'Index/Controller/Index.ts',
      "import { a } from '../Server/helper.js'\nexport default class Index { index() { return a } }\n",
    )
    const err = await loadError(loadControllers(app.dir))
    expect(err.file).toBe(helper)
    expect(err.line).toBe(3)
    expect(err.message).toContain(`imported by ${file}`)
  })

  it('reports a default export that is not a class', async () => {
    const app = await tempApp()
    const file = await app.write('Index/Controller/Index.ts', 'export const notDefault = 1\n')
    const missing = await loadError(loadControllers(app.dir))
    expect(missing.file).toBe(file)
    expect(missing.message).toContain('no default export')

    await app.write('Index/Controller/Index.ts', 'export default { index() {} }\n')
    expect((await loadError(loadControllers(app.dir))).message).toContain('must be the controller class')
  })

  it('refuses two files that name the same controller in different case', async () => {
    const app = await tempApp()
    await app.write('Index/Controller/User.ts', 'export default class User {}\n')
    await app.write('Index/Controller/user.js', 'export default class User {}\n')
    const err = await loadError(loadControllers(app.dir))
    expect(err.message).toContain('Index.user')
  })

  it('fails with the folder when the application folder does not exist', async () => {
    const app = await tempApp()
    const missing = path.join(app.dir, 'nope')
    const err = await loadError(loadControllers(missing))
    expect(err.file).toBe(missing)
  })
})
