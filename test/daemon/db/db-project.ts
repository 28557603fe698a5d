import { cp, mkdir, symlink, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'
import pg from 'pg'
import { expect } from 'vitest'
import { mintToken, TestClient, type Envelope } from '../../helpers/client.js'
import type { AppJson, Project } from '../../helpers/project.js'
import type { PostgresServer } from '../../helpers/postgres.js'

/** The database tests' application: Notes, with a migration and a controller on app.db(). */
export const DB_APP = fileURLToPath(new URL('../../fixtures/db-app', import.meta.url))
const PACKAGE_ROOT = fileURLToPath(new URL('../../..', import.meta.url))

export type Driver = 'sqlite' | 'postgres'
export const DRIVERS: Driver[] = ['sqlite', 'postgres']

export type DbJson = { driver: 'sqlite'; file: string } | { driver: 'postgres'; url: string; pool_size?: number }

/** A project running its own copy of the db app (so a test can add migrations), on its own database. */
export interface DbProject {
  p: Project
  /** The copied application folder. */
  app: string
  /** The database, with a SQLite file's absolute path. */
  db: DbJson
  /** Writes `<app>/Notes/Migration/<name>.ts`. */
  addMigration(name: string, source: string): Promise<void>
}

export async function makeDbProject(
  make: (app?: AppJson) => Promise<Project>,
  driver: Driver,
  postgres: () => PostgresServer,
  setting: Record<string, unknown> = {},
): Promise<DbProject> {
  const p = await make({ app: './app', setting: { ack: false, ...setting } })
  const app = path.join(p.root, 'app')
  await cp(DB_APP, app, { recursive: true })
  // An ES-module package, as an application would declare it, that depends on mswoole alone.
  await writeFile(path.join(app, 'package.json'), '{"type":"module"}\n')
  await mkdir(path.join(p.root, 'node_modules'))
  await symlink(PACKAGE_ROOT, path.join(p.root, 'node_modules', 'mswoole'), 'dir')
  let db: DbJson
  if (driver === 'sqlite') {
    // Relative to the project folder, in a folder that does not exist yet.
    await writeDbJson(p, { driver, file: './runtime/data/app.db' })
    db = { driver, file: path.join(p.root, 'runtime', 'data', 'app.db') }
  } else {
    db = { driver, url: await postgres().createDatabase(), pool_size: 4 }
    await writeDbJson(p, db)
  }
  return {
    p,
    app,
    db,
    addMigration: (name, source) => writeFile(path.join(app, 'Notes', 'Migration', `${name}.ts`), source),
  }
}

/** config/db.json, written as an operator would. */
/** Writes config/db.json as an operator should when it holds a password: readable by its owner only. */
export async function writeDbJson(p: Project, db: DbJson): Promise<void> {
  await writeFile(path.join(p.configDir, 'db.json'), JSON.stringify(db, null, 2), { mode: 0o600 })
}

/** Runs one query straight on the project's database, outside the daemon. */
export async function query<T>(db: DbJson, text: string): Promise<T[]> {
  if (db.driver === 'sqlite') {
    const conn = new Database(db.file, { readonly: true, fileMustExist: true })
    try {
      return conn.prepare(text).all() as T[]
    } finally {
      conn.close()
    }
  }
  const client = new pg.Client({ connectionString: db.url })
  await client.connect()
  try {
    return (await client.query(text)).rows as T[]
  } finally {
    await client.end()
  }
}

/** The names in the migration table, in the order they were applied. */
export async function appliedMigrations(db: DbJson): Promise<string[]> {
  const rows = await query<{ name: string }>(db, 'select name from mswoole_migration order by timestamp, name')
  return rows.map((row) => row.name)
}

export async function connect(port: number, id = 1): Promise<TestClient> {
  return TestClient.connect(`ws://127.0.0.1:${port}/?auth=${await mintToken({ id, type: 'wechatUser', code: 'notes' })}`)
}

/** Sends a message and answers the reply, which must be `event` (a 500 fails here, with what came). */
export async function call(client: TestClient, message: Record<string, unknown>, event: string): Promise<Envelope> {
  client.send(message)
  const reply = JSON.parse(await client.nextFrame()) as Envelope
  expect(reply, JSON.stringify(reply)).toMatchObject({ status: 200, event })
  return reply
}

/** A second migration: a table for tags. */
export const TAG_MIGRATION = `
import type { Kysely } from 'mswoole'

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createTable('note_tag').addColumn('note_id', 'integer', (col) => col.notNull()).addColumn('tag', 'text', (col) => col.notNull()).execute()
}
`

/** A migration that fails when it runs, on both databases. */
export const FAILING_MIGRATION = `
import { sql, type Kysely } from 'mswoole'

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createTable('half_done').addColumn('id', 'integer').execute()
  await sql\`select * from no_such_table\`.execute(db)
}
`
