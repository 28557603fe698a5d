import { control } from './cluster.js'
import { poll } from './poll.js'
import { readLogLines, type Project } from './project.js'

/**
 * The reasons the daemon logged for refused upgrades, once there are at least
 * `count`. The log is asked for over the control socket first, which flushes it.
 */
export async function authRefusalReasons(project: Project, count: number): Promise<unknown[]> {
  const reasons = (lines: Array<Record<string, unknown>>): unknown[] =>
    lines.filter((line) => line.msg === 'upgrade refused: auth').map((line) => line.reason)
  const log = await poll(
    async () => {
      await control(project, 'logs.tail', { lines: 1 })
      return readLogLines(project)
    },
    (lines) => reasons(lines).length >= count,
  )
  return reasons(log)
}
