import path from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Migration as KyselyMigration, MigrationProvider } from 'kysely'
import { locateLoadError } from '../load-location.js'
import { MigrationError } from './migration-error.js'
import { findMigrationFiles, type MigrationFile } from './migration-files.js'

export type ImportModule = (file: string) => Promise<unknown>

export interface AppMigrationProviderOptions {
  /** Imports one file. The worker passes one that compiles TypeScript; the default is Node's import(). */
  importModule?: ImportModule
  /** The files findMigrationFiles found, when the caller has read the folder already. */
  files?: readonly MigrationFile[]
}

/**
 * Kysely's MigrationProvider for an application folder: every
 * `<Module>/Migration/<name>` file, named `<Module>/<name>`. A file that does
 * not load, or exports no `up`, fails with MSW_ERR_MIGRATION_FAILED naming it.
 */
export class AppMigrationProvider implements MigrationProvider {
  readonly appDir: string
  readonly #importModule: ImportModule
  readonly #found: readonly MigrationFile[] | undefined
  readonly #files = new Map<string, string>()

  constructor(appDir: string, options: AppMigrationProviderOptions = {}) {
    this.appDir = path.resolve(appDir)
    this.#importModule = options.importModule ?? ((file) => import(pathToFileURL(file).href))
    this.#found = options.files
  }

  async getMigrations(): Promise<Record<string, KyselyMigration>> {
    const migrations: Record<string, KyselyMigration> = {}
    for (const found of this.#found ?? (await findMigrationFiles(this.appDir))) {
      this.#files.set(found.name, found.file)
      migrations[found.name] = await this.#load(found)
    }
    return migrations
  }

  /** The file of a migration getMigrations() found. */
  fileOf(name: string): string | undefined {
    return this.#files.get(name)
  }

  async #load({ name, file }: MigrationFile): Promise<KyselyMigration> {
    let mod: unknown
    try {
      mod = await this.#importModule(file)
    } catch (err) {
      const where = await locateLoadError(err, file, this.appDir)
      const at = where.line === undefined ? where.file : `${where.file}:${where.line}`
      const via = where.file === file ? '' : ` (imported by ${file})`
      throw new MigrationError(
        `cannot load migration ${name}: ${at}${via}: ${where.text}`,
        { migration: name, file: where.file, line: where.line },
        err,
      )
    }
    const exports = migrationExports(mod)
    const { up, down } = exports
    if (typeof up !== 'function') {
      throw new MigrationError(`migration ${name}: ${file} must export a function up(db), found ${up === undefined ? 'none' : typeof up}`, {
        migration: name,
        file,
      })
    }
    if (down !== undefined && typeof down !== 'function') {
      throw new MigrationError(`migration ${name}: ${file} exports down, but it is ${typeof down}, not a function`, {
        migration: name,
        file,
      })
    }
    const migration: KyselyMigration = { up: (db) => Reflect.apply(up, exports, [db]) as Promise<void> }
    if (typeof down === 'function') migration.down = (db) => Reflect.apply(down, exports, [db]) as Promise<void>
    return migration
  }
}

/**
 * `up`/`down` as named exports, or on a default export object. A TypeScript
 * file compiled as CommonJS (no "type": "module" above it) nests them one level deeper.
 */
function migrationExports(mod: unknown): { up?: unknown; down?: unknown } {
  for (let candidate: unknown = mod, depth = 0; depth < 3 && candidate !== null && typeof candidate === 'object'; depth++) {
    const record = candidate as { up?: unknown; down?: unknown; default?: unknown }
    if (record.up !== undefined) return record
    candidate = record.default
  }
  return {}
}
