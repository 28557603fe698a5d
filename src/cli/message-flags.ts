import { Args, Flags } from '@oclif/core'
import { MswError } from '../errors.js'

/** The envelope fields a broadcast or a push sends: `{status, event, info, param}`. */
export interface EnvelopeFields {
  event: string
  status: number
  info: string
  param?: unknown
}

/** `--event`, `--status` and `--param`, shared by broadcast and push; `defaultEvent` is the command's own. */
export function messageFlags(defaultEvent: string) {
  return {
    event: Flags.string({ description: "the envelope's event", default: defaultEvent, helpGroup: 'MESSAGE' }),
    status: Flags.integer({ description: "the envelope's status", default: 200, min: 100, max: 599, helpGroup: 'MESSAGE' }),
    param: Flags.string({ description: "the envelope's param, as JSON (an object, array, string, number…)", helpGroup: 'MESSAGE' }),
  }
}

/** How the envelope's params are spelled on the command line, for errors that name them. */
export const MESSAGE_NAMES: Record<string, string> = { info: 'the message', param: '--param' }

/** The optional positional message: the envelope's `info`. */
export const messageArgs = {
  message: Args.string({ description: "text sent as the envelope's info", required: false }),
}

/** Builds the envelope from the flags and the message; needs at least one of the message and `--param`. */
export function envelopeFields(
  flags: { event: string; status: number; param?: string | undefined },
  message: string | undefined,
): EnvelopeFields {
  if (message === undefined && flags.param === undefined) {
    throw new MswError('MSW_ERR_INVALID_ARGUMENT', 'give a message, --param <json>, or both')
  }
  const fields: EnvelopeFields = { event: flags.event, status: flags.status, info: message ?? '' }
  if (flags.param !== undefined) fields.param = parseJsonFlag('param', flags.param)
  return fields
}

function parseJsonFlag(name: string, text: string): unknown {
  try {
    return JSON.parse(text) as unknown
  } catch (err) {
    throw new MswError('MSW_ERR_INVALID_ARGUMENT', `--${name} is not valid JSON: ${(err as Error).message}`, { cause: err })
  }
}
