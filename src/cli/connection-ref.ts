import { MswError } from '../errors.js'
import { CONNECTION_ID } from '../protocol/connection-id.js'
import { plural } from './format.js'

/**
 * A connection as operators name it: its fd on the node the command talks to,
 * or its connection id "<node>:<fd>" (as `conn ls` shows it) on any node.
 */
export function parseConnectionRef(text: string): number | string {
  if (/^[1-9]\d{0,14}$/.test(text)) return Number(text)
  if (CONNECTION_ID.test(text)) return text
  throw new MswError('MSW_ERR_INVALID_ARGUMENT', `expected an fd or a connection id "<node>:<fd>", got "${text}"`)
}

/** "to 3 connections", and the other nodes it went to in a cluster. */
export function deliveredText(result: { delivered: number; nodes: number }): string {
  const here = plural(result.delivered, 'connection')
  return result.nodes === 0 ? here : `${here} here and ${plural(result.nodes, 'other node')}`
}

/**
 * The warning for a send that reached nobody (nothing written here, nothing
 * sent on to another node), saying why: an empty room, say. Undefined when it
 * reached someone.
 */
export function nobodyWarning(result: { delivered: number; nodes: number }, why: string): string | undefined {
  return result.delivered === 0 && result.nodes === 0 ? `${why}: the message reached nobody` : undefined
}
