import { MAX_JSON_DEPTH } from '../protocol/json-depth.js'
import { forbiddenKeyReply, replies, tooDeepReply } from '../protocol/replies.js'

/** Keys that could reach an object's prototype once the data is copied or dispatched. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype'])

export type ReadMessage =
  /** Refused with a frame that says why; the connection stays open. */
  { kind: 'reject'; frame: string } | { kind: 'message'; fields: Record<string, unknown> }

/**
 * Reads the text of one client frame (the master has answered the keepalive
 * and refused binary frames): a JSON object for a controller, or a clear refusal.
 */
export function readMessage(text: string): ReadMessage {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    // Includes the RangeError of absurdly deep nesting.
    return { kind: 'reject', frame: replies().badJson }
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { kind: 'reject', frame: replies().notObject }
  const fields = value as Record<string, unknown>
  if (fields.method !== undefined && typeof fields.method !== 'string') return { kind: 'reject', frame: replies().badMethod }
  const problem = checkKeys(fields, 0)
  if (problem) return { kind: 'reject', frame: problem }
  if (typeof fields.method === 'string' && fields.method.split('.').some((part) => FORBIDDEN_KEYS.has(part.toLowerCase()))) {
    return { kind: 'reject', frame: forbiddenKeyReply(fields.method) }
  }
  return { kind: 'message', fields }
}

function checkKeys(value: unknown, depth: number): string | undefined {
  if (value === null || typeof value !== 'object') return undefined
  if (depth >= MAX_JSON_DEPTH) return tooDeepReply(MAX_JSON_DEPTH)
  if (Array.isArray(value)) {
    for (const item of value) {
      const problem = checkKeys(item, depth + 1)
      if (problem) return problem
    }
    return undefined
  }
  for (const key of Object.keys(value)) {
    if (FORBIDDEN_KEYS.has(key)) return forbiddenKeyReply(key)
    const problem = checkKeys((value as Record<string, unknown>)[key], depth + 1)
    if (problem) return problem
  }
  return undefined
}
