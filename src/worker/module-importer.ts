import { isMainThread } from 'node:worker_threads'
import { pathToFileURL } from 'node:url'

/** Imports one application file. */
export type Importer = (file: string) => Promise<unknown>

/** Distinct per load, so each load gets its own module graph (a fresh app after a reload in the same thread). */
let namespaceCounter = 0

/** A worker thread's one registration of the TypeScript hooks, shared by its controllers and migrations. */
let threadHooks: Promise<void> | undefined

/**
 * TypeScript goes through tsx. When any of the files is .ts, every file
 * goes through the same tsx registration, so files that import a shared
 * helper share one instance of it (tsImport would give each its own copy).
 * `unavailable` makes the error for a missing tsx, naming the first .ts file.
 *
 * A worker thread runs one application once, so it registers the hooks for
 * the whole thread. Elsewhere (a process that may load several applications)
 * each load gets a tsx namespace of its own; a namespace also gives every
 * package the application imports a copy of its own, each module passing
 * through the hooks, which costs a worker twice the CPU to start.
 */
export async function makeImporter(
  files: readonly string[],
  unavailable: (reason: string, file: string, cause: unknown) => Error,
): Promise<Importer> {
  const plain: Importer = (file) => import(pathToFileURL(file).href)
  const firstTs = files.find((f) => f.endsWith('.ts'))
  if (firstTs === undefined) return plain
  try {
    if (!isMainThread) {
      threadHooks ??= registerForThread()
      await threadHooks
      return plain
    }
    const namespace = `mswoole-app-${++namespaceCounter}`
    // Both hooks, as tsImport does: an app folder outside an ES-module package
    // scope is CommonJS to Node, and its .ts files go through the require hook.
    const { register: registerCjs } = await import('tsx/cjs/api')
    registerCjs({ namespace })
    const { register } = await import('tsx/esm/api')
    const api = register({ namespace })
    return (file) => api.import(pathToFileURL(file).href, import.meta.url)
  } catch (err) {
    throw unavailable((err as Error).message, firstTs, err)
  }
}

/**
 * Sets up what importing these files will need, ahead of the import: a
 * standby worker registers the TypeScript hooks for the thread while it
 * waits, so its load pays for the application alone. Nothing for JavaScript,
 * and never a failure: a missing tsx is reported by the load itself.
 */
export async function prepareImport(files: readonly string[]): Promise<void> {
  if (isMainThread || !files.some((f) => f.endsWith('.ts'))) return
  threadHooks ??= registerForThread()
  await threadHooks.catch(() => undefined)
}

async function registerForThread(): Promise<void> {
  // The package's own entry first: an application's `import … from 'mswoole'`
  // then finds it loaded, and its dependencies (Kysely, jose) never pass through the hooks.
  await import('../index.js')
  const { register: registerCjs } = await import('tsx/cjs/api')
  registerCjs()
  const { register } = await import('tsx/esm/api')
  register()
}
