import { pathToFileURL } from 'node:url'

/** Imports one application file. */
export type Importer = (file: string) => Promise<unknown>

/** Distinct per load, so each load gets its own module graph (a fresh app after a reload in the same thread). */
let namespaceCounter = 0

/**
 * TypeScript goes through tsx. When any of the files is .ts, every file
 * goes through the same tsx namespace, so files that import a shared
 * helper share one instance of it (tsImport would give each its own copy).
 * `unavailable` makes the error for a missing tsx, naming the first .ts file.
 */
export async function makeImporter(files: readonly string[], unavailable: (reason: string, file: string, cause: unknown) => Error): Promise<Importer> {
  const plain: Importer = (file) => import(pathToFileURL(file).href)
  const firstTs = files.find((f) => f.endsWith('.ts'))
  if (firstTs === undefined) return plain
  let api: { import: (specifier: string, parentURL: string) => Promise<unknown> }
  try {
    const namespace = `mswoole-app-${++namespaceCounter}`
    // Both hooks, as tsImport does: an app folder outside an ES-module package
    // scope is CommonJS to Node, and its .ts files go through the require hook.
    const { register: registerCjs } = await import('tsx/cjs/api')
    registerCjs({ namespace })
    const { register } = await import('tsx/esm/api')
    api = register({ namespace })
  } catch (err) {
    throw unavailable((err as Error).message, firstTs, err)
  }
  return (file) => api.import(pathToFileURL(file).href, import.meta.url)
}
