import { existsSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import type { ReloadResult, StatusResult } from '../../../src/contracts/control-api.js'
import { cli, cliJson, startDaemon, useProjects } from '../../helpers/cli.js'
import { FIXTURE_APP } from '../../helpers/project.js'
import { usePostgres } from '../../helpers/postgres.js'
import { readLogLines } from '../../helpers/project.js'
import { freePort } from '../../helpers/redis-server.js'
import {
  appliedMigrations,
  call,
  connect,
  DRIVERS,
  FAILING_MIGRATION,
  makeDbProject,
  query,
  TAG_MIGRATION,
  writeDbJson,
} from './db-project.js'

const project = useProjects()
const postgres = usePostgres()

interface NoteRow {
  id: number
  body: string
  created_at: number
}

describe.each(DRIVERS)('the database on %s', (driver) => {
  const dbProject = (setting: Record<string, unknown> = {}) => makeDbProject(project, driver, postgres, setting)

  it('applies the migrations at start and serves rows through app.db()', async () => {
    const { p, db } = await dbProject()
    const { outside } = await startDaemon(p)
    expect(await appliedMigrations(db)).toEqual(['Notes/001_create_note'])
    const c = await connect(outside.port)
    const added = (await call(c, { method: 'notes.note.add', body: 'hello' }, 'noteAdded')).param as NoteRow
    expect(added).toMatchObject({ id: 1, body: 'hello' })
    // A bigint column and count(*) arrive as numbers on both databases.
    expect(typeof added.created_at).toBe('number')
    await call(c, { method: 'notes.note.add', body: 'world' }, 'noteAdded')
    const listed = (await call(c, { method: 'notes.note.list' }, 'notes')).param as { notes: NoteRow[]; count: number }
    expect(listed.notes.map((note) => note.body)).toEqual(['hello', 'world'])
    expect(listed.count).toBe(2)
    const tables = await call(c, { method: 'notes.note.tables' }, 'tables')
    expect(tables.info).toBe(driver)
    expect(tables.param).toEqual(expect.arrayContaining(['mswoole_migration', 'mswoole_migration_lock', 'note']))
    c.close()
    const applied = (await readLogLines(p)).filter((line) => line.msg === 'migration applied')
    expect(applied.map((line) => line.migration)).toEqual(['Notes/001_create_note'])
  })

  it('keeps the data across a restart, and applies nothing twice', async () => {
    const { p, db } = await dbProject()
    const first = await startDaemon(p)
    const c = await connect(first.outside.port)
    await call(c, { method: 'notes.note.add', body: 'before the restart' }, 'noteAdded')
    c.close()
    expect((await cli(p, ['stop'])).exitCode).toBe(0)

    const second = await startDaemon(p)
    const again = await connect(second.outside.port)
    const listed = (await call(again, { method: 'notes.note.list' }, 'notes')).param as { notes: NoteRow[] }
    expect(listed.notes.map((note) => note.body)).toEqual(['before the restart'])
    again.close()
    expect(await appliedMigrations(db)).toEqual(['Notes/001_create_note'])
  })

  it('applies a migration added before a reload, and the client stays connected', async () => {
    const { p, db, addMigration } = await dbProject()
    const { outside } = await startDaemon(p)
    const c = await connect(outside.port)
    await call(c, { method: 'notes.note.add', body: 'kept' }, 'noteAdded')
    await addMigration('002_create_note_tag', TAG_MIGRATION)

    const reload = await cliJson<ReloadResult>(p, ['reload'])
    expect(reload.exitCode, reload.stderr).toBe(0)
    expect(reload.json.generation).toBe(2)
    expect(await appliedMigrations(db)).toEqual(['Notes/001_create_note', 'Notes/002_create_note_tag'])
    // The same socket, served by the new generation, sees the new table and the old rows.
    expect((await call(c, { method: 'notes.note.tables' }, 'tables')).param).toEqual(expect.arrayContaining(['note', 'note_tag']))
    const listed = (await call(c, { method: 'notes.note.list' }, 'notes')).param as { notes: NoteRow[] }
    expect(listed.notes.map((note) => note.body)).toEqual(['kept'])
    expect(c.ws.readyState).toBe(c.ws.OPEN)
    c.close()
  })

  it('fails a start on a failing migration with one line naming it, and leaves the schema as it was', async () => {
    const { p, db, addMigration } = await dbProject()
    await addMigration('002_broken', FAILING_MIGRATION)
    const result = await cli(p, ['start'])
    expect(result.exitCode).toBe(1)
    const lines = result.stderr.trim().split('\n')
    expect(lines).toHaveLength(1)
    // The file, and its line when the error's stack passes through it (pg's does; better-sqlite3's, thrown inside the driver, does not).
    expect(lines[0]).toMatch(
      /^Error: migration Notes\/002_broken failed: \/.*\/Notes\/Migration\/002_broken\.ts(:\d+)?: .*no_such_table.* \[MSW_ERR_MIGRATION_FAILED\]$/,
    )
    expect((await cli(p, ['status'])).exitCode).toBe(3)
    // One transaction for the batch: neither the first migration nor half of the second stayed.
    expect(await appliedMigrations(db)).toEqual([])
    const tables = await query<{ name: string }>(
      db,
      driver === 'postgres'
        ? "select table_name as name from information_schema.tables where table_schema = 'public'"
        : "select name from sqlite_master where type = 'table'",
    )
    expect(tables.map((table) => table.name)).not.toEqual(expect.arrayContaining(['note']))
    expect(tables.map((table) => table.name)).not.toEqual(expect.arrayContaining(['half_done']))
  })

  it('fails a reload on a failing migration while the old generation keeps serving', async () => {
    const { p, db, addMigration } = await dbProject()
    const { outside } = await startDaemon(p)
    const c = await connect(outside.port)
    await addMigration('002_broken', FAILING_MIGRATION)
    const result = await cli(p, ['reload'])
    expect(result.exitCode).toBe(1)
    expect(result.stderr.trim().split('\n')).toHaveLength(1)
    expect(result.stderr).toMatch(/^Error: migration Notes\/002_broken failed: .*no_such_table.* \[MSW_ERR_MIGRATION_FAILED\]$/m)
    expect((await cliJson<StatusResult>(p, ['status'])).json.generation).toBe(1)
    expect(await appliedMigrations(db)).toEqual(['Notes/001_create_note'])
    await call(c, { method: 'notes.note.add', body: 'still served' }, 'noteAdded')
    c.close()
  })

  it('migrates in one worker of four, at start and at each reload', async () => {
    const { p, db, addMigration } = await dbProject({ worker_num: 4 })
    const { outside, workers } = await startDaemon(p)
    expect(workers).toHaveLength(4)
    await addMigration('002_create_note_tag', TAG_MIGRATION)
    expect((await cli(p, ['reload'])).exitCode).toBe(0)
    const rows = await query<{ name: string }>(db, 'select name from mswoole_migration')
    expect(rows.map((row) => row.name).sort()).toEqual(['Notes/001_create_note', 'Notes/002_create_note_tag'])
    // Every worker of the new generation writes to the one schema: four clients land on four workers.
    const clients = await Promise.all([1, 2, 3, 4].map((id) => connect(outside.port, id)))
    for (const [i, c] of clients.entries()) await call(c, { method: 'notes.note.add', body: `from ${i}` }, 'noteAdded')
    const listed = (await call(clients[0]!, { method: 'notes.note.list' }, 'notes')).param as { count: number }
    expect(listed.count).toBe(4)
    for (const c of clients) c.close()
    const applied = (await readLogLines(p)).filter((line) => line.msg === 'migration applied')
    expect(applied.map((line) => line.migration)).toEqual(['Notes/001_create_note', 'Notes/002_create_note_tag'])
  })
})

describe('opening the database', () => {
  it('never opens it at start for an application without migrations', async () => {
    const p = await project({ app: FIXTURE_APP })
    const file = path.join(p.root, 'runtime', 'never.db')
    await writeDbJson(p, { driver: 'sqlite', file })
    await startDaemon(p)
    expect(existsSync(file)).toBe(false)
  })

  it('fails a start with one line when PostgreSQL cannot be reached, without the password', async () => {
    const { p } = await makeDbProject(project, 'postgres', postgres)
    const port = await freePort()
    await writeDbJson(p, { driver: 'postgres', url: `postgres://app:secret@127.0.0.1:${port}/app` })
    const result = await cli(p, ['start'])
    expect(result.exitCode).toBe(1)
    expect(result.stderr.trim().split('\n')).toHaveLength(1)
    expect(result.stderr).toMatch(
      new RegExp(
        `^Error: cannot connect to PostgreSQL at postgres://app:\\*\\*\\*@127\\.0\\.0\\.1:${port}/app: .*ECONNREFUSED.* \\[MSW_ERR_DB_UNAVAILABLE\\]$`,
        'm',
      ),
    )
    expect(result.stderr).not.toContain('secret')
  })
})
