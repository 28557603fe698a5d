import { Command, Errors, Flags } from '@oclif/core'
import { loadConfig, type Config } from '../config/load.js'
import { MswError, type ErrorCode } from '../errors.js'
import { oneLineMessage } from './one-line.js'

/** Exit codes operators' tools expect: 3 = "not running" (LSB status). */
const EXIT_CODES: Partial<Record<ErrorCode, number>> = {
  MSW_ERR_NOT_RUNNING: 3,
}

/**
 * What every mswoole command shares: `--json`, `-c/--config` (or
 * MSWOOLE_CONFIG), and failures printed as one line with their code.
 */
export abstract class BaseCommand extends Command {
  static override enableJsonFlag = true

  static override baseFlags = {
    config: Flags.string({
      char: 'c',
      description: 'configuration folder [default: ./config]',
      env: 'MSWOOLE_CONFIG',
      helpGroup: 'GLOBAL',
    }),
  }

  protected loadSettings(dir: string | undefined): Promise<Config> {
    return loadConfig(dir === undefined ? {} : { dir })
  }

  /** Prints machine output as one JSON document, whatever `--json` says. */
  protected printJson(value: unknown): void {
    process.stdout.write(JSON.stringify(value, null, 2) + '\n')
  }

  protected override async catch(err: Error & { oclif?: { exit?: number } }): Promise<never> {
    if (err instanceof Errors.ExitError) throw err
    const msw = err instanceof MswError ? err : undefined
    if (this.jsonEnabled()) {
      this.printJson({ error: msw ? msw.toJSON() : { code: 'MSW_ERR_INVALID_ARGUMENT', message: err.message } })
    }
    const line = msw ? (err.message.split('\n')[0] ?? '') : oneLineMessage(err.message)
    process.stderr.write(`Error: ${line}${msw ? ` [${msw.code}]` : ''}\n`)
    this.exit(msw ? (EXIT_CODES[msw.code] ?? 1) : (err.oclif?.exit ?? 1))
  }
}
