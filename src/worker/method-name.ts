/**
 * How a client's `method` names a controller action, by MSwoole-ws's rules:
 * "action", "controller.action" or "module.controller.action", case-insensitive,
 * with Index.Index.index filling in what is missing.
 */

export interface ActionName {
  valid: true
  /** Lower-cased, ready for the case-insensitive controller index. */
  module: string
  controller: string
  action: string
}

export interface InvalidMethod {
  valid: false
  /** Why, for the log; the client only hears controllerNotFound. */
  reason: string
}

export type ParsedMethod = ActionName | InvalidMethod

export const DEFAULT_MODULE = 'index'
export const DEFAULT_CONTROLLER = 'index'
export const DEFAULT_ACTION = 'index'

const SEGMENT = /^[A-Za-z0-9_]+$/
/** Long enough for any real name; keeps junk out of logs and lookups. */
const MAX_SEGMENT_LENGTH = 64
/** Names that reach into JavaScript's object machinery rather than an action. */
const RESERVED = new Set(['constructor', 'prototype', '__proto__'])

export function parseMethod(method: unknown): ParsedMethod {
  if (method === undefined || method === null) return defaults()
  if (typeof method !== 'string') return invalid(`method must be a string, not ${typeof method}`)
  const trimmed = method.trim().replace(/^\.+|\.+$/g, '')
  if (trimmed === '') return defaults()

  const segments = trimmed.split('.')
  if (segments.length > 3) return invalid(`method has ${segments.length} segments, at most 3`)
  for (const segment of segments) {
    if (!SEGMENT.test(segment)) return invalid(`method segment "${segment.slice(0, MAX_SEGMENT_LENGTH)}" is not [A-Za-z0-9_]+`)
    if (segment.length > MAX_SEGMENT_LENGTH) return invalid(`method segment longer than ${MAX_SEGMENT_LENGTH}`)
  }
  const lower = segments.map((s) => s.toLowerCase())
  const action = lower.at(-1) ?? DEFAULT_ACTION
  const controller = lower.length >= 2 ? (lower.at(-2) ?? DEFAULT_CONTROLLER) : DEFAULT_CONTROLLER
  const module = lower.length === 3 ? (lower[0] ?? DEFAULT_MODULE) : DEFAULT_MODULE

  for (const name of [module, controller, action]) {
    if (isReservedName(name)) return invalid(`"${name}" is not a callable name`)
  }
  return { valid: true, module, controller, action }
}

/** True for a name a client may reach: a plain identifier segment that is not reserved. */
export function isCallableName(name: string): boolean {
  return SEGMENT.test(name) && name.length <= MAX_SEGMENT_LENGTH && !isReservedName(name)
}

/** True for names a client must never reach: object internals and `_private` helpers. */
export function isReservedName(name: string): boolean {
  return name.startsWith('_') || RESERVED.has(name.toLowerCase())
}

function defaults(): ActionName {
  return { valid: true, module: DEFAULT_MODULE, controller: DEFAULT_CONTROLLER, action: DEFAULT_ACTION }
}

function invalid(reason: string): InvalidMethod {
  return { valid: false, reason }
}
