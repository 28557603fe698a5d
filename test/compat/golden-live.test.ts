import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { phpJsonEncode } from '../../src/protocol/php-json.js'
import type { Envelope } from '../helpers/client.js'
import { LIVE_MODES, useLiveEvent, type LiveClient, type LiveServers } from '../helpers/live.js'

/**
 * Replays test/fixtures/golden/live-event.json, the frames one Live event
 * gets from the seed's App/Live, against a daemon on the embedded defaults:
 * every socket must get exactly the listed frames, in order: compared as
 * parsed JSON first (binding the fixture's placeholders on first sight, and
 * saying where they differ), then byte for byte as PHP's json_encode writes them.
 */

interface Placeholder {
  type: 'string' | 'integer'
  pattern?: string
  note: string
}

interface Step {
  socket: string
  send: Record<string, unknown>
  receive: Record<string, unknown[]>
  note?: string
}

interface Golden {
  users: Record<string, { id: number | string; type: string; code: string; nickname: string }>
  placeholders: Record<string, Placeholder>
  steps: Step[]
}

const golden = JSON.parse(readFileSync(new URL('../fixtures/golden/live-event.json', import.meta.url), 'utf8')) as Golden
const PLACEHOLDER = /^\$\{(\w+)(\|int)?\}$/

// The embedded defaults need neither Redis nor PostgreSQL.
const noServers: LiveServers = {
  redis: () => {
    throw new Error('the memory mode uses no Redis')
  },
  postgres: () => {
    throw new Error('the memory mode uses no PostgreSQL')
  },
}
const memory = LIVE_MODES.find((mode) => !mode.external)
if (memory === undefined) throw new Error('no memory mode')

/** Placeholder values bound so far, and the window a time must fall in. */
class Bindings {
  readonly values = new Map<string, unknown>()
  constructor(readonly startedAt: number) {}

  /** A value of the fixture with the bound placeholders put in (for the frames sent). */
  fill(value: unknown): unknown {
    if (typeof value === 'string') {
      const m = PLACEHOLDER.exec(value)
      if (m === null) return value
      const [, name = '', asInt] = m
      if (!this.values.has(name)) throw new Error(`placeholder ${name} is sent before it is bound`)
      const bound = this.values.get(name)
      return asInt === undefined ? bound : Number(bound)
    }
    if (Array.isArray(value)) return value.map((v) => this.fill(v))
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [String(this.fill(k)), this.fill(v)]))
    }
    return value
  }

  /** Compares a received value with the fixture's, binding placeholders met for the first time; answers what differs, or undefined. */
  match(expected: unknown, actual: unknown, at: string): string | undefined {
    if (typeof expected === 'string') {
      const m = PLACEHOLDER.exec(expected)
      if (m !== null) return this.#placeholder(m[1] ?? '', m[2] !== undefined, actual, at)
    }
    if (Array.isArray(expected)) {
      if (!Array.isArray(actual) || actual.length !== expected.length)
        return `${at}: expected ${expected.length} items, got ${JSON.stringify(actual)}`
      for (const [i, item] of expected.entries()) {
        const diff = this.match(item, actual[i], `${at}[${i}]`)
        if (diff !== undefined) return diff
      }
      return undefined
    }
    if (expected !== null && typeof expected === 'object') {
      if (actual === null || typeof actual !== 'object' || Array.isArray(actual))
        return `${at}: expected an object, got ${JSON.stringify(actual)}`
      const entries = Object.entries(expected).map(([k, v]) => [String(this.fill(k)), v] as const)
      const keys = entries.map(([k]) => k).sort()
      const got = Object.keys(actual).sort()
      if (JSON.stringify(keys) !== JSON.stringify(got)) return `${at}: expected keys ${JSON.stringify(keys)}, got ${JSON.stringify(got)}`
      for (const [k, v] of entries) {
        const diff = this.match(v, (actual as Record<string, unknown>)[k], `${at}.${k}`)
        if (diff !== undefined) return diff
      }
      return undefined
    }
    return Object.is(expected, actual) ? undefined : `${at}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`
  }

  #placeholder(name: string, asInt: boolean, actual: unknown, at: string): string | undefined {
    const spec = golden.placeholders[name]
    if (spec === undefined) return `${at}: unknown placeholder ${name}`
    if (this.values.has(name)) {
      const bound = this.values.get(name)
      const want = asInt ? Number(bound) : bound
      return Object.is(want, actual) ? undefined : `${at}: expected ${name} = ${JSON.stringify(want)}, got ${JSON.stringify(actual)}`
    }
    if (asInt) return `${at}: ${name} is read as an integer before it is bound`
    if (spec.type === 'string') {
      if (typeof actual !== 'string' || (spec.pattern !== undefined && !new RegExp(spec.pattern).test(actual)))
        return `${at}: ${name} must match ${spec.pattern}, got ${JSON.stringify(actual)}`
    } else {
      const now = Math.ceil(Date.now() / 1000)
      if (typeof actual !== 'number' || !Number.isInteger(actual) || actual < this.startedAt || actual > now)
        return `${at}: ${name} must be Unix seconds of this run, got ${JSON.stringify(actual)}`
    }
    this.values.set(name, actual)
    return undefined
  }
}

describe('the golden Live event', () => {
  const live = useLiveEvent(noServers, memory)

  it("sends every socket the seed's frames, in the seed's order, and nothing else", async () => {
    const event = live()
    const bindings = new Bindings(Math.floor(Date.now() / 1000))
    const sockets = new Map<string, LiveClient>()
    for (const [name, user] of Object.entries(golden.users)) sockets.set(name, await event.connect(user))
    const code = Object.values(golden.users)[0]?.code ?? ''
    // Sent to the room of every connection of the code after each step: what a socket got before it is that step's.
    const marker = await event.connect({ type: 'marker', code })

    for (const [n, step] of golden.steps.entries()) {
      const sender = sockets.get(step.socket)
      if (sender === undefined) throw new Error(`step ${n + 1}: no socket ${step.socket}`)
      sender.raw.send(bindings.fill(step.send))
      // Waiting for the sender's last frame first, so the marker goes out after the step's frames.
      const expectedBySender = step.receive[step.socket] ?? []
      const rawBySender: string[] = []
      for (let i = 0; i < expectedBySender.length; i++) rawBySender.push(await sender.raw.nextFrame())
      const text = `golden marker ${n + 1}`
      marker.raw.send({ method: 'index.index.say', room: code, text })
      for (const [name, socket] of sockets) {
        const raw = name === step.socket ? [...rawBySender] : []
        for (let frames = 0; ; frames++) {
          // Bounded: a step sends a handful of frames.
          expect(frames, `step ${n + 1}: ${name} got too many frames`).toBeLessThan(50)
          const frame = await socket.raw.nextFrame()
          const envelope = JSON.parse(frame) as Envelope
          if (envelope.event === 'said' && envelope.info === text) break
          raw.push(frame)
        }
        const got = raw.map((frame) => JSON.parse(frame) as Envelope)
        const expected = step.receive[name] ?? []
        const diff = bindings.match(expected, got, `step ${n + 1} (${step.socket} ${JSON.stringify(step.send)}) → ${name}`)
        expect(diff, JSON.stringify(got)).toBeUndefined()
        // Then byte for byte: the fixture's frame, its placeholders bound, as PHP's json_encode writes it.
        expect(raw, `step ${n + 1} → ${name}`).toEqual(expected.map((frame) => phpJsonEncode(bindings.fill(frame))))
      }
    }
    expect([...bindings.values.keys()].sort()).toEqual(Object.keys(golden.placeholders).sort())
  })
})
