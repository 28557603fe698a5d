import { Flags } from '@oclif/core'
import { MAX_PAGE } from '../contracts/control-api.js'

/** `--limit` and `--offset` of a paged listing; `things` names what is listed ("connections"). */
export function pagingFlags(things: string) {
  return {
    limit: Flags.integer({ description: `how many ${things} to show`, default: 100, min: 1, max: MAX_PAGE }),
    offset: Flags.integer({ description: `how many matching ${things} to skip`, default: 0, min: 0 }),
  }
}
