import { Errors, Flags } from '@oclif/core'
import { BaseCommand } from '../cli/base-command.js'
import { checkParams } from '../cli/check-params.js'
import { plural } from '../cli/format.js'
import { withProgress } from '../cli/progress.js'
import { type DrainStatus, MAX_DRAIN_SECONDS, type StopResult } from '../contracts/control-api.js'
import { stopDaemon, type StopOutcome } from '../lifecycle/stop.js'

export default class Stop extends BaseCommand {
  static override summary = 'Stop the daemon gracefully'
  static override description =
    'Stops accepting connections, closes every client with code 1001 (running close hooks), flushes the logs and removes the pid file and control socket. Work still running in the workers at --timeout is cut short, and said so on stderr; a daemon that has not exited by then is killed. Exits 0 when the daemon was not running.\n\n' +
    'With --drain <seconds> the outside port stops listening at once, then the clients are closed with code 1012 (service restart) a few at a time, evenly over that many seconds, so they reconnect elsewhere without a storm; the others are served meanwhile. The stop proper follows, and --timeout counts from there. A later stop can only bring a drain to an end sooner: a stop without --drain (or SIGTERM) closes the clients left at once.'

  static override examples = [
    '<%= config.bin %> stop',
    '<%= config.bin %> stop --timeout 30',
    '<%= config.bin %> stop --drain 60',
    '<%= config.bin %> stop --drain 60 --json',
  ]

  static override flags = {
    timeout: Flags.integer({ description: 'seconds to let clients close before forcing (after the drain)', default: 10, min: 1 }),
    drain: Flags.custom<number>({
      description: `seconds over which to close the clients with 1012 first, the port closed at once (0 to ${MAX_DRAIN_SECONDS}; 0: no drain)`,
      helpValue: '<seconds>',
      parse: async (input) => drainSeconds(input),
    })({ default: 0 }),
  }

  async run(): Promise<StopOutcome> {
    const { flags } = await this.parse(Stop)
    const drain = flags.drain
    checkParams('stop', { timeout: flags.timeout, drain })
    const config = await this.loadSettings(flags.config)
    const outcome = await withProgress(!flags.json, drain > 0 ? `Draining mswoole over ${drain} s` : 'Stopping mswoole', (progress) =>
      stopDaemon(config, flags.timeout, {
        drainSeconds: drain,
        ...(progress.shown ? { onDrain: (draining: DrainStatus | undefined) => progress.update(drainProgress(draining)) } : {}),
      }),
    )
    if (!outcome.wasRunning) {
      this.log(
        outcome.staleRemoved ? 'mswoole is not running (removed the pid file and socket of a daemon that died)' : 'mswoole is not running',
      )
    } else if (outcome.killed) {
      this.log(`mswoole (pid ${outcome.pid}) did not stop within ${drain + flags.timeout}s and was killed`)
    } else {
      const { result } = outcome
      this.log(`mswoole stopped (pid ${outcome.pid}${result ? closedLine(result) : ''})`)
      if (result !== undefined && result.abortedInFlight > 0) {
        const were = result.abortedInFlight === 1 ? 'was' : 'were'
        this.warnOperator(`${plural(result.abortedInFlight, 'handler')} still running at the ${flags.timeout} s timeout ${were} cut short`)
      }
      if (drain > 0) this.#warnAboutDrain(result)
    }
    return outcome
  }

  /** A drain asked for that did not run as asked. */
  #warnAboutDrain(result: StopResult | undefined): void {
    if (result === undefined) {
      this.warnOperator('no drain took place: the daemon did not answer on its control socket')
    } else if (result.drain === undefined) {
      this.warnOperator('a stop without a drain was already under way: the clients were closed at once')
    } else if (result.drain.cutShort) {
      this.warnOperator(
        `the ${result.drain.seconds} s drain was cut short after ${result.drain.durationMs} ms by another stop or a signal; the clients left were closed then`,
      )
    }
  }
}

/** `--drain`: a whole number of seconds, 0 to MAX_DRAIN_SECONDS. */
function drainSeconds(input: string): number {
  const seconds = /^\d{1,9}$/.test(input) ? Number(input) : Number.NaN
  if (!(seconds <= MAX_DRAIN_SECONDS)) {
    throw new Errors.CLIError(`expected a whole number of seconds from 0 to ${MAX_DRAIN_SECONDS}, got "${input}"`)
  }
  return seconds
}

/** ", closed 40 connections in 2031 ms", and how many of them the drain closed. */
function closedLine(result: StopResult): string {
  const closed = `, closed ${plural(result.closedConnections, 'connection')} in ${result.durationMs} ms`
  return result.drain ? `${closed}, ${result.drain.closedConnections} of them drained over ${result.drain.durationMs} ms` : closed
}

/** Beside the spinner: how far the drain is, then the stop proper. */
function drainProgress(draining: DrainStatus | undefined): string {
  if (draining === undefined) return 'stopping'
  const left = Math.max(0, Math.ceil((Date.parse(draining.closeBy) - Date.now()) / 1000))
  return `${draining.closed} closed, ${draining.remaining} open, ${left} s left`
}
