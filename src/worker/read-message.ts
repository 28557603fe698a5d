import type { RawData } from 'ws'
import { MAX_JSON_DEPTH } from '../../protocol/json-depth.js'
import { forbiddenKeyFrame, frames, tooDeepFrame } from './frames.js'

/** Keys that could reach an object's prototype once the data is copied or dispatched. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype'])

export type Inbound =
  /** The seed's text keepalive `2`, answered `3`. */
  | { kind: 'keepalive' }
  /** Refused with a frame that says why; the connection stays open. */
  | { kind: 'reject'; frame: string }
  | { kind: 'message'; fields: Record<string, unknown> }

/** Reads one client frame: keepalive, a JSON object for the workers, or a clear refusal. */
export function readFrame(data: RawData, isBinary: boolean): Inbound {
  if (isBinary) return { kind: 'reject', frame: frames().binary }
  const text = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data as ArrayBuffer).toString('utf8')
  if (text === '2') return { kind: 'keepalive' }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    // Includes the RangeError of absurdly deep nesting.
    return { kind: 'reject', frame: frames().badJson }
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { kind: 'reject', frame: frames().notObject }
  const fields = value as Record<string, unknown>
  if (fields.method !== undefined && typeof fields.method !== 'string') return { kind: 'reject', frame: frames().badMethod }
  const problem = checkKeys(fields, 0)
  if (problem) return { kind: 'reject', frame: problem }
  if (typeof fields.method === 'string' && fields.method.split('.').some((part) => FORBIDDEN_KEYS.has(part.toLowerCase()))) {
    return { kind: 'reject', frame: forbiddenKeyFrame(fields.method) }
  }
  return { kind: 'message', fields }
}

function checkKeys(value: unknown, depth: number): string | undefined {
  if (value === null || typeof value !== 'object') return undefined
  if (depth >= MAX_JSON_DEPTH) return tooDeepFrame(MAX_JSON_DEPTH)
  if (Array.isArray(value)) {
    for (const item of value) {
      const problem = checkKeys(item, depth + 1)
      if (problem) return problem
    }
    return undefined
  }
  for (const key of Object.keys(value)) {
    if (FORBIDDEN_KEYS.has(key)) return forbiddenKeyFrame(key)
    const problem = checkKeys((value as Record<string, unknown>)[key], depth + 1)
    if (problem) return problem
  }
  return undefined
}
