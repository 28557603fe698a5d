import { readdir, stat } from 'node:fs/promises'
import path from 'node:path'
import { isCallableName } from './method-name.js'
import { locateLoadError } from '../load-location.js'
import { ControllerLoadError } from './load-error.js'
import { makeImporter, type Importer } from './module-importer.js'

/**
 * Loads an application folder laid out like MSwoole-ws's App/:
 * `<appDir>/<Module>/Controller/<Controller>.{ts,js,mjs}`, one default-exported
 * class per file, instantiated once per worker.
 */

export const HOOKS = ['onMessage', 'onClose', 'onReload'] as const
export type HookName = (typeof HOOKS)[number]
const HOOK_NAMES: ReadonlySet<string> = new Set(HOOKS)

const EXTENSIONS = ['.ts', '.js', '.mjs']

export interface LoadedController {
  /** "Module.Controller", spelled as the folder and the file are. */
  name: string
  file: string
  instance: object
  /** Lower-cased action → the method's own name. */
  actions: ReadonlyMap<string, string>
  hooks: ReadonlySet<HookName>
}

export class ControllerIndex {
  readonly #byKey = new Map<string, LoadedController>()

  constructor(
    readonly controllers: readonly LoadedController[],
    /** Files in a Controller folder that cannot be controllers (e.g. "User.test.ts"), for the log. */
    readonly skipped: readonly string[] = [],
  ) {
    for (const controller of controllers) this.#byKey.set(controller.name.toLowerCase(), controller)
  }

  get names(): string[] {
    return this.controllers.map((c) => c.name)
  }

  /** Module and controller in any case. */
  find(module: string, controller: string): LoadedController | undefined {
    return this.#byKey.get(`${module}.${controller}`.toLowerCase())
  }

  /** "Module.Controller" in any case, as fdAddController registered it. */
  findByName(name: string): LoadedController | undefined {
    return this.#byKey.get(name.toLowerCase())
  }
}

/** Calls a method found by the loader, with the instance as `this`. */
export function callMethod(controller: LoadedController, method: string, args: unknown[]): unknown {
  const fn: unknown = Reflect.get(controller.instance, method)
  if (typeof fn !== 'function') throw new TypeError(`${controller.name}.${method} is not a function`)
  return Reflect.apply(fn, controller.instance, args)
}

/** The controller files of the application as they are on disk now. */
export async function controllerFiles(appDir: string): Promise<string[]> {
  return (await findControllerFiles(path.resolve(appDir))).files.map((f) => f.file)
}

export async function loadControllers(appDir: string): Promise<ControllerIndex> {
  const root = path.resolve(appDir)
  const { files, skipped } = await findControllerFiles(root)
  const importer = await makeImporter(
    files.map((f) => f.file),
    (reason, file, cause) =>
      new ControllerLoadError(`TypeScript controllers need the tsx package, which cannot be loaded: ${reason}`, { file }, cause),
  )
  const controllers: LoadedController[] = []
  for (const { name, file } of files) controllers.push(await loadOne(name, file, root, importer))
  return new ControllerIndex(controllers, skipped)
}

async function findControllerFiles(root: string): Promise<{ files: Array<{ name: string; file: string }>; skipped: string[] }> {
  const modules = await listDir(root).catch((err: unknown) => {
    throw new ControllerLoadError(`application folder ${root} cannot be read: ${(err as Error).message}`, { file: root }, err)
  })
  const files: Array<{ name: string; file: string }> = []
  const skipped: string[] = []
  const seen = new Map<string, string>()
  for (const module of modules) {
    const moduleDir = path.join(root, module)
    if (!isCallableName(module) || !(await isDirectory(moduleDir))) continue
    const controllerDirName = (await listDir(moduleDir)).find((entry) => entry.toLowerCase() === 'controller')
    if (controllerDirName === undefined) continue // a shared module (Common, Model…) with no controllers
    const controllerDir = path.join(moduleDir, controllerDirName)
    if (!(await isDirectory(controllerDir))) continue
    for (const entry of await listDir(controllerDir)) {
      const ext = path.extname(entry)
      if (!EXTENSIONS.includes(ext) || entry.endsWith('.d.ts')) continue
      const file = path.join(controllerDir, entry)
      const base = path.basename(entry, ext)
      if (!isCallableName(base)) {
        skipped.push(file)
        continue
      }
      const name = `${module}.${base}`
      const clash = seen.get(name.toLowerCase())
      if (clash !== undefined) {
        throw new ControllerLoadError(`two files define controller ${name} (names are case-insensitive): ${clash} and ${file}`, { file })
      }
      seen.set(name.toLowerCase(), file)
      files.push({ name, file })
    }
  }
  return { files, skipped }
}

async function loadOne(name: string, file: string, root: string, importer: Importer): Promise<LoadedController> {
  let exported: unknown
  try {
    exported = defaultExport(await importer(file))
  } catch (err) {
    throw await asLoadError(err, file, root)
  }
  if (typeof exported !== 'function') {
    throw new ControllerLoadError(`${file}: the default export must be the controller class, found ${describe(exported)}`, { file })
  }
  let instance: object
  try {
    instance = Reflect.construct(exported, []) as object
  } catch (err) {
    throw await asLoadError(err, file, root, 'constructing the controller failed')
  }
  return { name, file, instance, actions: actionsOf(instance), hooks: hooksOf(instance) }
}

/** A TypeScript file compiled as CommonJS (no "type": "module" above it) arrives as { default: { default: Class } }. */
function defaultExport(mod: unknown): unknown {
  const first: unknown = (mod as { default?: unknown } | null)?.default
  if (typeof first === 'function') return first
  const nested: unknown = (first as { default?: unknown } | null | undefined)?.default
  return typeof nested === 'function' ? nested : first
}

async function asLoadError(err: unknown, file: string, root: string, what = 'cannot load controller'): Promise<ControllerLoadError> {
  const where = await locateLoadError(err, file, root)
  const at = where.line === undefined ? where.file : `${where.file}:${where.line}`
  const via = where.file === file ? '' : ` (imported by ${file})`
  return new ControllerLoadError(`${what}: ${at}${via}: ${where.text}`, where, err)
}

/** Own functions of the prototype chain (most derived first wins), minus the constructor, `_helpers` and hooks. */
function actionsOf(instance: object): Map<string, string> {
  const actions = new Map<string, string>()
  for (const [name, descriptor] of prototypeMembers(instance)) {
    if (typeof descriptor.value !== 'function' || HOOK_NAMES.has(name) || !isCallableName(name)) continue
    const key = name.toLowerCase()
    if (!actions.has(key)) actions.set(key, name)
  }
  return actions
}

function hooksOf(instance: object): Set<HookName> {
  const hooks = new Set<HookName>()
  for (const [name, descriptor] of prototypeMembers(instance)) {
    if (typeof descriptor.value === 'function' && HOOK_NAMES.has(name)) hooks.add(name as HookName)
  }
  return hooks
}

/** Descriptors, so getters are never run while indexing; stops before Object.prototype. */
function* prototypeMembers(instance: object): Generator<[string, PropertyDescriptor]> {
  for (
    let proto: object | null = Object.getPrototypeOf(instance);
    proto !== null && proto !== Object.prototype;
    proto = Object.getPrototypeOf(proto)
  ) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      if (name === 'constructor') continue
      const descriptor = Object.getOwnPropertyDescriptor(proto, name)
      if (descriptor) yield [name, descriptor]
    }
  }
}

async function listDir(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((entry) => !entry.startsWith('.')).sort()
}

async function isDirectory(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory()
  } catch {
    return false // a dangling link or a file that went away: not a module
  }
}

function describe(value: unknown): string {
  if (value === undefined) return 'no default export'
  if (value === null) return 'null'
  return typeof value
}
