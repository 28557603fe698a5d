import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { loadConfig } from '../../../src/config/load.js'
import { dialectOf } from '../../../src/db/dialect.js'
import { MIGRATION_TABLE, migrateToLatest } from '../../../src/db/migrate.js'
import { findMigrationFiles } from '../../../src/db/migration-files.js'
import { AppMigrationProvider } from '../../../src/db/migration-provider.js'
import { openDatabase } from '../../../src/db/open-database.js'
import { MswError } from '../../../src/errors.js'
import { makeImporter } from '../../../src/worker/module-importer.js'

/** The provider and the migrator on a real SQLite file, in this process. */

const folders: string[] = []
afterEach(async () => {
  await Promise.all(folders.splice(0).map((dir) => rm(dir, { recursive: true, force: true })))
})

async function tempApp(
  files: Record<string, string>,
): Promise<{ root: string; app: string; write(relative: string, text: string): Promise<void> }> {
  const root = await mkdtemp(path.join(tmpdir(), 'msw-migrations-'))
  folders.push(root)
  const app = path.join(root, 'app')
  const write = async (relative: string, text: string): Promise<void> => {
    await mkdir(path.dirname(path.join(app, relative)), { recursive: true })
    await writeFile(path.join(app, relative), text)
  }
  for (const [relative, text] of Object.entries(files)) await write(relative, text)
  return { root, app, write }
}

/** A migration that records its name in a table of its own, so the order it ran in can be read back. */
const recording = (name: string) => `
export async function up(db) {
  await db.schema.createTable('ran').ifNotExists().addColumn('n', 'integer', (c) => c.primaryKey().autoIncrement()).addColumn('name', 'text').execute()
  await db.insertInto('ran').values({ name: ${JSON.stringify(name)} }).execute()
}
`

function openSqlite(root: string) {
  return openDatabase({ driver: 'sqlite', file: path.join(root, 'db', 'test.db') }, { onIdleError: () => undefined })
}

describe('findMigrationFiles', () => {
  it('collects <Module>/Migration files of every module, by name, and skips what is not a migration', async () => {
    const { app } = await tempApp({
      'Shop/Migration/002_orders.ts': '',
      'Shop/Migration/001_items.mjs': '',
      'Shop/Migration/001_items.test.ts': '',
      'Shop/Migration/types.d.ts': '',
      'Shop/Migration/notes.md': '',
      'Shop/Migration/.hidden.ts': '',
      'Shop/Controller/Cart.ts': '',
      'Blog/migration/010_posts.js': '',
      'Common/Model/schema.ts': '',
    })
    await writeFile(path.join(app, 'README.md'), '')
    const found = await findMigrationFiles(app)
    expect(found.map((file) => file.name)).toEqual(['Blog/010_posts', 'Shop/001_items', 'Shop/002_orders'])
    expect(found[0]).toMatchObject({ module: 'Blog', file: path.join(app, 'Blog', 'migration', '010_posts.js') })
  })

  it('finds none in an application without Migration folders', async () => {
    const { app } = await tempApp({ 'Index/Controller/Index.ts': '' })
    expect(await findMigrationFiles(app)).toEqual([])
  })

  it('refuses two files with one migration name', async () => {
    const { app } = await tempApp({ 'Shop/Migration/001_items.ts': '', 'Shop/Migration/001_items.mjs': '' })
    const err = await findMigrationFiles(app).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(MswError)
    expect(err).toMatchObject({
      code: 'MSW_ERR_MIGRATION_FAILED',
      message: expect.stringContaining('two files define migration Shop/001_items'),
    })
  })
})

describe('migrateToLatest', () => {
  it('runs migrations in name order, records them, and runs one added before those already applied', async () => {
    const { root, app, write } = await tempApp({
      'Shop/Migration/002_b.mjs': recording('Shop/002_b'),
      'Shop/Migration/001_a.mjs': recording('Shop/001_a'),
    })
    const db = openSqlite(root)
    try {
      expect(dialectOf(db)).toBe('sqlite')
      expect(await migrateToLatest(db, new AppMigrationProvider(app))).toEqual(['Shop/001_a', 'Shop/002_b'])
      // Another module's migration sorts first ("Blog" < "Shop") but arrives later: it still runs.
      await write('Blog/Migration/001_posts.mjs', recording('Blog/001_posts'))
      expect(await migrateToLatest(db, new AppMigrationProvider(app))).toEqual(['Blog/001_posts'])
      expect(await migrateToLatest(db, new AppMigrationProvider(app))).toEqual([])
      const ran = await db
        .selectFrom('ran' as never)
        .select('name' as never)
        .orderBy('n' as never)
        .execute()
      expect(ran.map((row) => (row as { name: string }).name)).toEqual(['Shop/001_a', 'Shop/002_b', 'Blog/001_posts'])
      const recorded = await db
        .selectFrom(MIGRATION_TABLE as never)
        .select('name' as never)
        .execute()
      expect(recorded.map((row) => (row as { name: string }).name).sort()).toEqual(['Blog/001_posts', 'Shop/001_a', 'Shop/002_b'])
    } finally {
      await db.destroy()
    }
  })

  it('names a migration that does not load, or has no up', async () => {
    const { root, app, write } = await tempApp({ 'Shop/Migration/001_a.ts': 'export async function up(db: unknown) {\n  const x = ;\n}\n' })
    const db = openSqlite(root)
    try {
      // TypeScript through tsx, as the worker loads it.
      const importModule = await makeImporter([path.join(app, 'Shop', 'Migration', '001_a.ts')], (reason) => new Error(reason))
      const broken = await migrateToLatest(db, new AppMigrationProvider(app, { importModule })).catch((e: unknown) => e)
      expect(broken).toMatchObject({ code: 'MSW_ERR_MIGRATION_FAILED', migration: 'Shop/001_a', line: 2 })
      expect((broken as Error).message).toMatch(/^cannot load migration Shop\/001_a: .*001_a\.ts:2: Unexpected ";"$/)

      await write('Shop/Migration/001_a.ts', 'export const down = async () => {}\n')
      const noUp = await migrateToLatest(
        db,
        new AppMigrationProvider(app, {
          importModule: await makeImporter([path.join(app, 'Shop', 'Migration', '001_a.ts')], (reason) => new Error(reason)),
        }),
      ).catch((e: unknown) => e)
      expect(noUp).toMatchObject({
        code: 'MSW_ERR_MIGRATION_FAILED',
        message: expect.stringContaining('must export a function up(db), found none'),
      })
    } finally {
      await db.destroy()
    }
  })

  it('undoes the whole batch when one migration fails', async () => {
    const { root, app } = await tempApp({
      'Shop/Migration/001_a.mjs': recording('Shop/001_a'),
      'Shop/Migration/002_fails.mjs': "export async function up(db) {\n  throw new Error('refusing')\n}\n",
    })
    const db = openSqlite(root)
    try {
      const err = await migrateToLatest(db, new AppMigrationProvider(app)).catch((e: unknown) => e)
      expect(err).toMatchObject({ code: 'MSW_ERR_MIGRATION_FAILED', migration: 'Shop/002_fails', line: 2 })
      expect((err as Error).message).toBe(
        `migration Shop/002_fails failed: ${path.join(app, 'Shop', 'Migration', '002_fails.mjs')}:2: refusing`,
      )
      expect(
        await db
          .selectFrom(MIGRATION_TABLE as never)
          .selectAll()
          .execute(),
      ).toEqual([])
      const tables = await db.introspection.getTables()
      expect(tables.map((table) => table.name)).not.toContain('ran')
    } finally {
      await db.destroy()
    }
  })

  it('opens the SQLite file in WAL mode, making its folder, and enforces foreign keys', async () => {
    const { root } = await tempApp({})
    const db = openSqlite(root)
    try {
      const { sql } = await import('kysely')
      expect((await sql<{ journal_mode: string }>`pragma journal_mode`.execute(db)).rows[0]?.journal_mode).toBe('wal')
      expect((await sql<{ foreign_keys: number }>`pragma foreign_keys`.execute(db)).rows[0]?.foreign_keys).toBe(1)
      expect((await sql<{ timeout: number }>`pragma busy_timeout`.execute(db)).rows[0]?.timeout).toBeGreaterThan(0)
    } finally {
      await db.destroy()
    }
  })

  it('fails a query with MSW_ERR_DB_UNAVAILABLE when the SQLite file cannot be opened', async () => {
    const { root } = await tempApp({})
    // A file where the database's folder should be.
    await writeFile(path.join(root, 'db'), '')
    const db = openSqlite(root)
    try {
      const { sql } = await import('kysely')
      const err = await sql`select 1`.execute(db).catch((e: unknown) => e)
      expect(err).toMatchObject({
        code: 'MSW_ERR_DB_UNAVAILABLE',
        message: expect.stringContaining(`cannot open the SQLite database ${path.join(root, 'db', 'test.db')}`),
      })
    } finally {
      await db.destroy()
    }
  })
})

describe('config/db.json', () => {
  async function configWith(db: unknown): Promise<string> {
    const root = await mkdtemp(path.join(tmpdir(), 'msw-dbconfig-'))
    folders.push(root)
    await mkdir(path.join(root, 'config'))
    await writeFile(path.join(root, 'config', 'app.json'), '{}')
    await writeFile(path.join(root, 'config', 'db.json'), JSON.stringify(db))
    return root
  }

  it('takes a pool_size for PostgreSQL, from 1 to 100', async () => {
    let root = await configWith({ driver: 'postgres', url: 'postgres://u@h/db', pool_size: 4 })
    expect((await loadConfig({ cwd: root, env: {} })).db).toEqual({ driver: 'postgres', url: 'postgres://u@h/db', pool_size: 4 })
    root = await configWith({ driver: 'postgres', url: 'postgres://u@h/db', pool_size: 0 })
    await expect(loadConfig({ cwd: root, env: {} })).rejects.toThrow('config/db.json: pool_size: expected an integer from 1 to 100, got 0')
    root = await configWith({ driver: 'sqlite', pool_size: 4 })
    await expect(loadConfig({ cwd: root, env: {} })).rejects.toThrow('config/db.json: pool_size: unknown key')
  })

  it('resolves a SQLite file against the project folder', async () => {
    const root = await configWith({ driver: 'sqlite', file: './runtime/app.db' })
    expect((await loadConfig({ cwd: root, env: {} })).db).toEqual({ driver: 'sqlite', file: path.join(root, 'runtime', 'app.db') })
  })
})
