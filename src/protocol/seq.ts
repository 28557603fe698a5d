import { phpEscapeJson } from './php-json.js'
import { wireFormat } from './wire-format.js'

/** Where a message stands in its room's history (app.json `history`): the history's epoch and the message's offset in it. */
export interface Position {
  epoch: string
  offset: number
}

/**
 * The envelope with its position added as the last key:
 * `{…,"seq":{"room":R,"epoch":E,"offset":N}}`, in the daemon's wire format.
 * A message that is not a JSON object goes as it is.
 */
export function withSeq(text: string, room: string, position: Position): string {
  if (text.charCodeAt(text.length - 1) !== 0x7d /* } */ || text.charCodeAt(0) !== 0x7b /* { */) return text
  let seq = `"seq":{"room":${JSON.stringify(room)},"epoch":${JSON.stringify(position.epoch)},"offset":${position.offset}}`
  if (wireFormat() === 'seed') seq = phpEscapeJson(seq)
  const body = text.slice(0, -1)
  return /^\{\s*$/.test(body) ? `{${seq}}` : `${body},${seq}}`
}
