import { Command, Errors, Flags } from '@oclif/core'
import { loadConfig, type Config } from '../config/load.js'
import { reportFailure } from './failure.js'

/**
 * What every mswoole command shares: `--json`, `-c/--config` (or
 * MSWOOLE_CONFIG), and failures printed as one line with their code and
 * ended with the exit code they call for (see cli/failure.ts).
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
    process.stdout.write(`${JSON.stringify(value, null, 2)}\n`)
  }

  /** Something the operator must know that does not make the command fail: a `Warning:` line on stderr. */
  protected warnOperator(message: string): void {
    process.stderr.write(`Warning: ${message}\n`)
  }

  protected override async catch(err: Error): Promise<never> {
    if (err instanceof Errors.ExitError) throw err
    this.exit(reportFailure(err, this.jsonEnabled()))
  }
}
