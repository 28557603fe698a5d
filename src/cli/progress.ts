import { ux } from '@oclif/core'

/** A spinner on stderr for people at a terminal; silent for pipes and --json. */
export async function withProgress<T>(enabled: boolean, label: string, work: () => Promise<T>): Promise<T> {
  const show = enabled && process.stderr.isTTY === true
  if (show) ux.action.start(label)
  try {
    const result = await work()
    if (show) ux.action.stop('done')
    return result
  } catch (err) {
    if (show) ux.action.stop('failed')
    throw err
  }
}
