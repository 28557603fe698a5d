import { chmod, chown, lstat, mkdir, readlink, symlink, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { configFileWarnings, secretsIn } from '../../src/config/file-modes.js'
import { cli, cliJson, startDaemon, useProjects } from '../helpers/cli.js'
import { processesMentioning, readLogLines, type Project } from '../helpers/project.js'

/**
 * The runtime folder holds the control socket, which is as powerful as the
 * daemon's user. A folder someone else owns (they can chmod it back and rename
 * the socket), that others may write, or that is a symbolic link is refused at
 * start, before anything is put in it.
 */

const project = useProjects()

const NOBODY = 65534

interface StartFailure {
  exitCode: number
  stderr: string
  error: { code: string; message: string; details?: Record<string, unknown> }
}

/** `mswoole start --json` expected to fail: its exit code, the one stderr line and the JSON error. */
async function failedStart(p: Project): Promise<StartFailure> {
  const { exitCode, json, stderr } = await cliJson<{ error: StartFailure['error'] }>(p, ['start'])
  return { exitCode, stderr, error: json.error }
}

/** The refusal as an operator sees it: one line that names the folder and the code (and, with `json`, as --json says it). */
async function expectRefused(p: Project, folder: string, problem: string, owner: number, mode: string, json = false): Promise<void> {
  const human = await cli(p, ['start'])
  expect(human.exitCode).toBe(1)
  const lines = human.stderr.trim().split('\n')
  expect(lines, human.stderr).toHaveLength(1)
  expect(lines[0]).toMatch(/^Error: .*\[MSW_ERR_RUNTIME_UNSAFE\]$/)
  expect(lines[0]).toContain(`${folder} ${problem}`)
  expect(lines[0]).toContain(`(owner uid ${owner}, mode ${mode})`)

  if (json) {
    const failure = await failedStart(p)
    expect(failure.exitCode).toBe(1)
    expect(failure.error).toMatchObject({ code: 'MSW_ERR_RUNTIME_UNSAFE', details: { folder, uid: owner, mode } })
  }
  // Nothing started, and nothing was written into the folder.
  expect(await processesMentioning(p.root)).toEqual([])
}

describe('an existing runtime folder', () => {
  it('owned by another user is refused, and left as it was', async () => {
    expect(process.geteuid?.(), 'this test chowns a folder to nobody: run it as root').toBe(0)
    const p = await project()
    await mkdir(p.runtime, { mode: 0o700 })
    await chown(p.runtime, NOBODY, NOBODY)

    await expectRefused(p, p.runtime, 'belongs to another user, not to uid 0 that mswoole runs as', NOBODY, '0700', true)
    const after = await lstat(p.runtime)
    expect(after.uid).toBe(NOBODY)
    expect(after.mode & 0o777).toBe(0o700)
    await expect(lstat(p.socket)).rejects.toThrow(/ENOENT/)
  })

  it('whose log folder is owned by another user is refused', async () => {
    expect(process.geteuid?.(), 'this test chowns a folder to nobody: run it as root').toBe(0)
    const p = await project()
    const logs = path.join(p.runtime, 'logs')
    await mkdir(logs, { recursive: true, mode: 0o700 })
    await chown(logs, NOBODY, NOBODY)

    await expectRefused(p, logs, 'belongs to another user', NOBODY, '0700')
  })

  it('of our own that group or others may write is refused; one only we may write is used, and made 0700', async () => {
    const p = await project()
    await mkdir(p.runtime)
    await chmod(p.runtime, 0o777)

    await expectRefused(p, p.runtime, 'is writable by group or others', process.geteuid?.() ?? 0, '0777')
    expect((await lstat(p.runtime)).mode & 0o777).toBe(0o777)

    await chmod(p.runtime, 0o755)
    await startDaemon(p)
    expect((await lstat(p.runtime)).mode & 0o777).toBe(0o700)
  })

  it('that is a symbolic link is refused, even to a private folder of our own', async () => {
    const p = await project()
    const elsewhere = path.join(p.root, 'elsewhere')
    await mkdir(elsewhere, { mode: 0o700 })
    await symlink(elsewhere, p.runtime)

    const human = await cli(p, ['start'])
    expect(human.exitCode).toBe(1)
    expect(human.stderr.trim().split('\n')).toHaveLength(1)
    expect(human.stderr).toContain(`${p.runtime} is a symbolic link`)
    expect(human.stderr).toContain('[MSW_ERR_RUNTIME_UNSAFE]')
    expect(await readlink(p.runtime)).toBe(elsewhere)
  })
})

describe('config files that hold keys', () => {
  it('readable by group or others make start warn, on stderr, in --json and in the log; 0600 does not', async () => {
    const p = await project({ auth: { key: 'a-private-token-key-9d41c7e2' } })
    const appJson = path.join(p.configDir, 'app.json')
    await chmod(appJson, 0o644)

    // Start also warns of the test project's open manager port (test/commands/start.test.ts): only the file's warning counts here.
    const ofFiles = (warnings: unknown[]) => warnings.filter((warning) => Object.hasOwn(warning as object, 'file'))
    const loose = await cliJson<{ warnings: unknown[] }>(p, ['start'])
    expect(loose.exitCode, loose.stderr).toBe(0)
    const message = `${appJson} holds auth.key and is readable by group or others (mode 0644): run chmod 600 ${appJson}`
    expect(ofFiles(loose.json.warnings)).toEqual([{ file: appJson, mode: '0644', keys: ['auth.key'], message }])
    expect(loose.stderr.split('\n').filter((line) => line.includes('chmod'))).toEqual([`Warning: ${message}`])
    expect(loose.stderr + JSON.stringify(loose.json)).not.toContain('a-private-token-key')
    const logged = (await readLogLines(p)).filter(
      (line) => line.msg === 'a config file that holds keys is readable by group or others: chmod 600 it',
    )
    expect(logged).toEqual([expect.objectContaining({ level: 'warn', file: appJson, mode: '0644', keys: ['auth.key'] })])
    expect((await cli(p, ['stop'])).exitCode).toBe(0)

    await chmod(appJson, 0o600)
    const tight = await cliJson<{ warnings: unknown[] }>(p, ['start'])
    expect(tight.exitCode).toBe(0)
    expect(ofFiles(tight.json.warnings)).toEqual([])
    expect(tight.stderr).not.toContain('chmod')
  })

  it('are found in app.json, cache.json and db.json by their keys, passwords and URLs with a password', async () => {
    // A start would need Redis and PostgreSQL: what start reports is checked on the folder itself.
    const p = await project({ auth: { key: 'marico-websocket' }, manager: { key: 'a-manager-key-1b2c' } })
    const file = (name: string) => path.join(p.configDir, name)
    await writeFile(file('cache.json'), JSON.stringify({ driver: 'redis', url: 'redis://:s3cret@10.0.0.5:6379/0' }))
    await writeFile(file('db.json'), JSON.stringify({ driver: 'postgres', url: 'postgres://app:pw@db.example.com/app' }))
    await chmod(file('app.json'), 0o640) // group-readable is readable by others than the owner too
    await chmod(file('cache.json'), 0o604)
    await chmod(file('db.json'), 0o600)
    const warnings = await configFileWarnings(p.configDir)
    expect(warnings.map(({ file, mode, keys }) => ({ file, mode, keys }))).toEqual([
      // The seed's auth key is public: only manager.key counts.
      { file: file('app.json'), mode: '0640', keys: ['manager.key'] },
      { file: file('cache.json'), mode: '0604', keys: ['url'] },
    ])
    expect(JSON.stringify(warnings)).not.toMatch(/s3cret|a-manager-key/)

    expect(secretsIn({ driver: 'redis', url: 'redis://10.0.0.5:6379/0' })).toEqual([])
    expect(secretsIn({ driver: 'redis', cluster: ['redis://a:7000', 'redis://u:pw@b:7001'] })).toEqual(['cluster.1'])
    expect(
      secretsIn({ driver: 'redis', options: { sentinels: [{ host: 'a', port: 1 }], name: 'm', password: 'x', sentinelPassword: 'y' } }),
    ).toEqual(['options.password', 'options.sentinelPassword'])
    expect(secretsIn({ driver: 'postgres', url: 'postgres://app@db.example.com/app' })).toEqual([])
    expect(secretsIn({ driver: 'sqlite', file: './runtime/mswoole.db' })).toEqual([])
    expect(secretsIn({ manager: { key: '' }, auth: { key: 'marico-websocket' } })).toEqual([])
  })
})
