import { expect } from 'vitest'
import type { Envelope } from '../helpers/client.js'
import { internalsIn } from '../helpers/leaks.js'

/**
 * What the outside port must answer to a frame, written from the documented
 * protocol (docs/protocol.md) rather than from the daemon's code:
 * a frame over the size limit gets 413 then close 1009, invalid UTF-8 400 then
 * close 1007, `2` gets `3`, a binary frame or malformed JSON 400, and a JSON
 * object is routed (ack, then the action's answer) or refused with 400.
 */

/** The fuzz daemons run with this setting.max_message_size. */
export const MAX_MESSAGE_SIZE = 4096
/** "nesting deeper than 32" is refused. */
const MAX_LEVELS = 32
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype'])
/** Hooks of a controller, never actions. */
const HOOKS = new Set(['onmessage', 'onclose', 'onreload'])
/** A well-formed method: one to three identifier segments. */
const CLEAN_METHOD = /^[A-Za-z0-9_]{1,64}(\.[A-Za-z0-9_]{1,64}){0,2}$/

/**
 * Actions of the sample app whose answer is not one plain reply to the sender
 * (`say` answers others, `slow` waits, `fail` throws on purpose, the rest touch
 * rooms or the store). Generated methods never name them, so any 500 is a bug.
 */
export const SIDE_EFFECT_ACTIONS = /fail|slow|say|join|session|visits/i

export type Expectation =
  /** One envelope with this status, then a close with this code. */
  | { kind: 'closed'; status: 400 | 413; event: string; closeCode: 1007 | 1009 }
  /** The keepalive answer `3`, nothing else. */
  | { kind: 'keepalive' }
  /**
   * Either refused (one 400 badRequest, no ack) or routed (one ack, one reply
   * with an allowed status), as `reject` says.
   */
  | { kind: 'answer'; reject: 'must' | 'may' | 'never'; routed: readonly number[]; verify?: (reply: Envelope) => void }

const REJECTED: Expectation = { kind: 'answer', reject: 'must', routed: [] }

export function expectBinary(size: number): Expectation {
  if (size > MAX_MESSAGE_SIZE) return { kind: 'closed', status: 413, event: 'messageTooLarge', closeCode: 1009 }
  return REJECTED
}

export function expectText(bytes: Uint8Array): Expectation {
  if (bytes.length > MAX_MESSAGE_SIZE) return { kind: 'closed', status: 413, event: 'messageTooLarge', closeCode: 1009 }
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes)
  } catch {
    return { kind: 'closed', status: 400, event: 'badRequest', closeCode: 1007 }
  }
  if (text === '2') return { kind: 'keepalive' }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return REJECTED
  }
  return expectMessage(value)
}

/** The answer to a decoded JSON value sent as a text frame. */
export function expectMessage(value: unknown): Expectation {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return REJECTED
  const fields = value as Record<string, unknown>
  const method = Object.hasOwn(fields, 'method') ? fields.method : undefined
  if (method !== undefined && typeof method !== 'string') return REJECTED
  if (levels(fields) > MAX_LEVELS || hasForbiddenKey(fields)) return REJECTED
  return expectRoute(method, fields)
}

function expectRoute(method: string | undefined, fields: Record<string, unknown>): Expectation {
  if (method === undefined) return { kind: 'answer', reject: 'never', routed: [200], verify: (r) => expect(r).toEqual(SUCCESS) }
  const segments = method.split('.')
  // A reserved name as a method segment gets "an error envelope" (SECURITY.md): refused, or not found.
  if (segments.some((s) => FORBIDDEN_KEYS.has(s.trim().toLowerCase()))) return { kind: 'answer', reject: 'may', routed: [404] }
  if (!CLEAN_METHOD.test(method)) {
    // Odd spellings (spaces, empty segments, too many segments…) are not found,
    // or resolve to the defaults; none may reach an action with side effects.
    return { kind: 'answer', reject: 'never', routed: [200, 404, 405], verify: (r) => verifyReachable(r, fields) }
  }
  const lower = segments.map((s) => s.toLowerCase())
  const action = lower.at(-1)!
  const controller = lower.length >= 2 ? lower.at(-2)! : 'index'
  const module = lower.length === 3 ? lower[0]! : 'index'
  // The sample app has one controller, Index.Index, and no onMessage.
  if (module !== 'index' || controller !== 'index') return { kind: 'answer', reject: 'never', routed: [404] }
  if (action.startsWith('_')) return { kind: 'answer', reject: 'never', routed: [404] }
  if (action === 'index') return { kind: 'answer', reject: 'never', routed: [200], verify: (r) => expect(r).toEqual(SUCCESS) }
  if (action === 'echo') return { kind: 'answer', reject: 'never', routed: [200], verify: (r) => verifyEcho(r, fields) }
  // toString, hasOwnProperty, onClose…: not actions, so "no such action".
  if (HOOKS.has(action) || !SIDE_EFFECT_ACTIONS.test(action)) return { kind: 'answer', reject: 'never', routed: [405] }
  throw new Error(`the generators must not produce the side-effect action ${method}`)
}

const SUCCESS: Envelope = { status: 200, event: 'success', info: '执行完成' }

function verifyReachable(reply: Envelope, fields: Record<string, unknown>): void {
  if (reply.status !== 200) return
  if (reply.event === 'echo') verifyEcho(reply, fields)
  else expect(reply).toEqual(SUCCESS)
}

/** Fields the server sets on a message itself, whatever the client sent. */
const SERVER_FIELDS = new Set(['fd', 'auth', 'code', 'method'])

/** Echo sends back the client's fields, strings HTML-escaped, plus fd, auth and code. */
function verifyEcho(reply: Envelope, fields: Record<string, unknown>): void {
  expect(reply).toMatchObject({ status: 200, event: 'echo', info: 'echo' })
  const param = reply.param as Record<string, unknown>
  expect(param.fd).toEqual(expect.any(Number))
  expect(param.code).toBe('room1')
  expect(param.auth).toMatchObject({ id: 1, type: 'wechatUser', code: 'room1' })
  // The method reaches the workers as the client sent it, unescaped.
  if (typeof fields.method === 'string') expect(param.method).toBe(fields.method)
  for (const key of Object.keys(fields)) {
    if (SERVER_FIELDS.has(key)) continue
    expect(Object.hasOwn(param, key), `echoed field ${JSON.stringify(key)}`).toBe(true)
    expect(param[key], `echoed field ${JSON.stringify(key)}`).toEqual(JSON.parse(JSON.stringify(escapeDeep(fields[key]))))
  }
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#039;' }

/** PHP's htmlspecialchars(ENT_QUOTES) on every string of a value; keys untouched. */
function escapeDeep(value: unknown): unknown {
  if (typeof value === 'string') return value.replace(/[&<>"']/g, (c) => ENTITIES[c]!)
  if (Array.isArray(value)) return value.map(escapeDeep)
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const [key, item] of Object.entries(value))
      Object.defineProperty(out, key, { value: escapeDeep(item), enumerable: true, writable: true, configurable: true })
    return out
  }
  return value
}

/** Objects and arrays nested in a value, the value itself counting as one. Iterative: generated values nest thousands deep. */
export function levels(value: unknown): number {
  let deepest = 0
  const pending: Array<[unknown, number]> = [[value, 1]]
  while (pending.length > 0) {
    const [item, level] = pending.pop()!
    if (item === null || typeof item !== 'object') continue
    deepest = Math.max(deepest, level)
    for (const child of Object.values(item)) pending.push([child, level + 1])
  }
  return deepest
}

function hasForbiddenKey(value: unknown): boolean {
  const pending: unknown[] = [value]
  while (pending.length > 0) {
    const item = pending.pop()
    if (item === null || typeof item !== 'object') continue
    if (!Array.isArray(item) && Object.keys(item).some((key) => FORBIDDEN_KEYS.has(key))) return true
    pending.push(...Object.values(item))
  }
  return false
}

/** What a client saw after one fuzz input: every frame (the sentinel's excluded) and the close, if any. */
export interface Observed {
  frames: string[]
  close?: { code: number; reason: string }
}

/** An envelope as the protocol defines it: status, event, info, and param only when there is one. */
export function expectEnvelope(frame: string): Envelope {
  let value: unknown
  try {
    value = JSON.parse(frame)
  } catch {
    throw new Error(`not an envelope: ${frame.slice(0, 200)}`)
  }
  expect(value).toEqual(expect.objectContaining({ status: expect.any(Number), event: expect.any(String), info: expect.any(String) }))
  const envelope = value as Envelope
  expect(Number.isInteger(envelope.status)).toBe(true)
  expect(envelope.event.length).toBeGreaterThan(0)
  for (const key of Object.keys(envelope)) expect(['status', 'event', 'info', 'param']).toContain(key)
  return envelope
}

/**
 * Paths, stacks or source locations in `answer` that the input did not carry
 * itself (an error may quote the client's own method or key back).
 */
export function leakedInternals(answer: string, input: string, paths: readonly string[]): string[] {
  const echoed = new Set(internalsIn(input, paths))
  return internalsIn(answer, paths).filter((found) => !echoed.has(found))
}

export function checkObserved(expectation: Expectation, observed: Observed, input: string, paths: readonly string[]): void {
  const { frames } = observed
  switch (expectation.kind) {
    case 'keepalive':
      expect(frames).toEqual(['3'])
      expect(observed.close).toBeUndefined()
      return
    case 'closed': {
      expect(frames, 'one envelope before the close').toHaveLength(1)
      expect(expectEnvelope(frames[0]!)).toMatchObject({ status: expectation.status, event: expectation.event })
      expect(observed.close?.code).toBe(expectation.closeCode)
      expect(leakedInternals(frames[0]! + (observed.close?.reason ?? ''), input, paths)).toEqual([])
      return
    }
    case 'answer': {
      expect(observed.close, 'the connection stays open').toBeUndefined()
      const envelopes = frames.map(expectEnvelope)
      const acks = envelopes.filter((e) => e.event === 'receiveMessage')
      const replies = envelopes.filter((e) => e.event !== 'receiveMessage')
      for (const ack of acks) expect(ack).toEqual({ status: 200, event: 'receiveMessage', info: '服务端已收到您的请求内容' })
      expect(replies, `exactly one answer, got ${JSON.stringify(frames).slice(0, 500)}`).toHaveLength(1)
      const reply = replies[0]!
      if (acks.length === 0) {
        expect(expectation.reject, `refused, but should have been routed: ${JSON.stringify(reply)}`).not.toBe('never')
        expect(reply).toMatchObject({ status: 400, event: 'badRequest' })
        expect(reply.param).toBeUndefined()
      } else {
        expect(acks).toHaveLength(1)
        expect(expectation.reject, `routed, but should have been refused: ${JSON.stringify(reply).slice(0, 300)}`).not.toBe('must')
        expect(expectation.routed, `status of ${JSON.stringify(reply).slice(0, 300)}`).toContain(reply.status)
        expectation.verify?.(reply)
      }
      // An echo carries the client's own fields back; anything else must not show internals.
      if (reply.event !== 'echo') expect(leakedInternals(JSON.stringify(reply), input, paths)).toEqual([])
      return
    }
  }
}
