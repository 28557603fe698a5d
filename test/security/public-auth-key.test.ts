import { describe, expect, it } from 'vitest'
import { cli, startDaemon, useProjects } from '../helpers/cli.js'
import type { AppJson, Project } from '../helpers/project.js'

const WARNING = 'auth.key is the public default: anyone can mint client tokens; set a long random key of your own'

/** The daemon's log lines so far (the logs command flushes the log first). */
async function logMessages(app: AppJson, project: (app?: AppJson) => Promise<Project>): Promise<string[]> {
  const p = await project(app)
  await startDaemon(p)
  const { exitCode, stdout } = await cli(p, ['logs', '-n', '200', '--json'])
  expect(exitCode).toBe(0)
  return stdout
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => String((JSON.parse(line) as { msg?: unknown }).msg))
}

describe("the seed's public auth key", () => {
  const project = useProjects()

  it('is warned of when it guards a port open beyond loopback', async () => {
    // Port 0: a free port on every interface, for the length of the test.
    const messages = await logMessages({ outside: { host: '0.0.0.0', port: 0 } }, project)
    expect(messages).toContain(WARNING)
    expect(messages).toContain('mswoole started')
  })

  it('is not warned of with a key of its own, or on loopback', async () => {
    expect(
      await logMessages({ outside: { host: '0.0.0.0', port: 0 }, auth: { key: 'a-long-random-key-of-our-own' } }, project),
    ).not.toContain(WARNING)
    expect(await logMessages({}, project)).not.toContain(WARNING)
  })
})
