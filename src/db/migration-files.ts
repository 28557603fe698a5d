import { readdir, stat } from 'node:fs/promises'
import path from 'node:path'
import { MigrationError } from './migration-error.js'

/**
 * Finds the migrations of an application folder:
 * `<appDir>/<Module>/Migration/<name>.{ts,js,mjs}` (the folder name in any
 * case, like Controller). Tests and declaration files beside them are not
 * migrations. Only the file system is read; nothing is imported.
 */

export interface MigrationFile {
  /** `<Module>/<file base name>`: what the migration table records, and the order they run in. */
  name: string
  module: string
  file: string
}

const EXTENSIONS = ['.ts', '.js', '.mjs']
const NOT_MIGRATIONS = /\.(test|spec)\.|\.d\.ts$/

/** Plain code-unit order, as Kysely's migrator sorts names: the same on every machine, whatever its locale. */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

export async function findMigrationFiles(appDir: string): Promise<MigrationFile[]> {
  const root = path.resolve(appDir)
  let modules: string[]
  try {
    modules = await listDir(root)
  } catch (err) {
    throw new MigrationError(`application folder ${root} cannot be read: ${(err as Error).message}`, { file: root }, err)
  }
  const found: MigrationFile[] = []
  const seen = new Map<string, string>()
  for (const module of modules) {
    const moduleDir = path.join(root, module)
    if (!(await isDirectory(moduleDir))) continue
    const folder = (await listDir(moduleDir)).find((entry) => entry.toLowerCase() === 'migration')
    if (folder === undefined || !(await isDirectory(path.join(moduleDir, folder)))) continue
    const dir = path.join(moduleDir, folder)
    for (const entry of await listDir(dir)) {
      const ext = path.extname(entry)
      if (!EXTENSIONS.includes(ext) || NOT_MIGRATIONS.test(entry)) continue
      const file = path.join(dir, entry)
      const name = `${module}/${path.basename(entry, ext)}`
      const clash = seen.get(name)
      if (clash !== undefined)
        throw new MigrationError(`two files define migration ${name}: ${clash} and ${file}`, { migration: name, file })
      seen.set(name, file)
      found.push({ name, module, file })
    }
  }
  return found.sort((a, b) => compareNames(a.name, b.name))
}

async function listDir(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((entry) => !entry.startsWith('.'))
}

async function isDirectory(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory()
  } catch {
    return false // a dangling link or an entry that went away
  }
}
