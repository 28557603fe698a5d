import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cli, cliJson } from '../helpers/cli.js'
import { makeProject, type Project } from '../helpers/project.js'

interface ErrorJson {
  error: { code: string; message: string; details?: Record<string, unknown> }
}

/**
 * The command line itself, with no daemon: what a mistyped command, a wrong
 * flag or a bad value prints and how it exits. Every failure is one line
 * `Error: … [MSW_ERR_…]` on stderr, the JSON envelope on stdout with --json,
 * and exit 2 for a usage error, whoever finds it.
 */
describe('the command line, with no daemon', () => {
  let p: Project
  beforeAll(async () => {
    p = await makeProject()
  })
  afterAll(async () => {
    await p.remove()
  })

  function expectOneLine(result: { stderr: string }, line: string | RegExp): void {
    expect(result.stderr.trimEnd().split('\n'), result.stderr).toHaveLength(1)
    if (typeof line === 'string') expect(result.stderr.trimEnd()).toBe(line)
    else expect(result.stderr.trimEnd()).toMatch(line)
  }

  it('suggests the nearest command for a typo, and exits 2', async () => {
    const typo = await cli(p, ['stauts'])
    expect(typo.exitCode).toBe(2)
    expectOneLine(typo, 'Error: unknown command "stauts"; did you mean "status"? (see mswoole help) [MSW_ERR_UNKNOWN_COMMAND]')
    expect(typo.stdout).toBe('')

    const inTopic = await cliJson<ErrorJson>(p, ['conn', 'lss'])
    expect(inTopic.exitCode).toBe(2)
    expect(inTopic.json.error).toMatchObject({ code: 'MSW_ERR_UNKNOWN_COMMAND', details: { command: 'conn lss', suggestion: 'conn ls' } })
    expectOneLine(inTopic, /^Error: unknown command "conn lss"; did you mean "conn ls"\?.*\[MSW_ERR_UNKNOWN_COMMAND\]$/)
  })

  it('shows help for everything, for a command and for a command of a topic', async () => {
    const all = await cli(p, ['help'])
    expect(all.exitCode, all.stderr).toBe(0)
    for (const command of ['start', 'stop', 'status', 'conn', 'broadcast', 'version'])
      expect(all.stdout).toMatch(new RegExp(`^  ${command} `, 'm'))

    const connLs = await cli(p, ['help', 'conn', 'ls'])
    expect(connLs.exitCode, connLs.stderr).toBe(0)
    expect(connLs.stdout).toContain('$ mswoole conn ls')
    expect(connLs.stdout).toContain('--uid')

    const missing = await cli(p, ['help', 'stauts'])
    expect(missing.exitCode).toBe(2)
    expectOneLine(missing, /^Error: unknown command "stauts"; did you mean "status"\?.*\[MSW_ERR_UNKNOWN_COMMAND\]$/)
  })

  it('prints the version for -v and version', async () => {
    const [short, command] = await Promise.all([cli(p, ['-v']), cliJson<{ version: string }>(p, ['version'])])
    expect(short.exitCode, short.stderr).toBe(0)
    expect(short.stdout).toMatch(/^mswoole\/\d+\.\d+\.\d+ /)
    expect(command.exitCode).toBe(0)
    expect(short.stdout).toContain(`mswoole/${command.json.version} `)
  })

  it("makes the parser's errors one line with a code, exit 2, and the envelope with --json", async () => {
    const [badValue, unknownFlag, missingArg] = await Promise.all([
      cli(p, ['start', '--timeout', 'soon']),
      cli(p, ['status', '--colour']),
      cliJson<ErrorJson>(p, ['kick']),
    ])
    expect(badValue.exitCode).toBe(2)
    expectOneLine(badValue, /^Error: --timeout: Expected an integer but received: soon \[MSW_ERR_INVALID_ARGUMENT\]$/)
    expect(unknownFlag.exitCode).toBe(2)
    expectOneLine(unknownFlag, /^Error: Nonexistent flag: --colour.* \[MSW_ERR_INVALID_ARGUMENT\]$/)
    expect(missingArg.exitCode).toBe(2)
    expect(missingArg.json.error.code).toBe('MSW_ERR_INVALID_ARGUMENT')
    expectOneLine(missingArg, 'Error: Missing 1 required arg: fd [MSW_ERR_INVALID_ARGUMENT]')
  })

  it("exits 2 for mswoole's own checks of a value, before any request to the daemon", async () => {
    // No daemon runs: a check that reached the control socket would end in MSW_ERR_NOT_RUNNING, exit 3.
    // (broadcast and push --param: test/commands/broadcast.test.ts and push.test.ts.)
    const [kick, ttl] = await Promise.all([
      cliJson<ErrorJson>(p, ['kick', '4', '--code', '1001']),
      cli(p, ['token', '--id', '1', '--type', 'wall', '--code', 'r', '--ttl', '60']),
    ])
    expect(kick.exitCode).toBe(2)
    expect(kick.json.error).toEqual({
      code: 'MSW_ERR_INVALID_ARGUMENT',
      message: '--code: close code must be 1000 or 3000–4999',
      details: { param: 'code' },
    })
    expectOneLine(kick, 'Error: --code: close code must be 1000 or 3000–4999 [MSW_ERR_INVALID_ARGUMENT]')
    expect(ttl.exitCode).toBe(2)
    expectOneLine(ttl, /^Error: --ttl needs the jwt codec.* \[MSW_ERR_INVALID_ARGUMENT\]$/)
  })
})
