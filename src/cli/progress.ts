import { ux } from '@oclif/core'

/** What work under the spinner may tell the operator while it runs. */
export interface Progress {
  /** Whether the spinner is shown: work that only feeds it can skip what it would cost. */
  readonly shown: boolean
  /** A short status beside the label ("12 closed, 28 open, 9 s left"). */
  update(status: string): void
}

/** A spinner on stderr for people at a terminal; silent for pipes and --json. */
export async function withProgress<T>(enabled: boolean, label: string, work: (progress: Progress) => Promise<T>): Promise<T> {
  const show = enabled && process.stderr.isTTY === true
  if (show) ux.action.start(label)
  const progress: Progress = {
    shown: show,
    update(status) {
      if (show) ux.action.status = status
    },
  }
  try {
    const result = await work(progress)
    if (show) ux.action.stop('done')
    return result
  } catch (err) {
    if (show) ux.action.stop('failed')
    throw err
  }
}
