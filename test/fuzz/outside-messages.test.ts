import { fc, it } from '@fast-check/vitest'
import { describe, expect } from 'vitest'
import {
  nesting,
  nestedText,
  objectOf,
  objectText,
  oddMessage,
  oddString,
  oddValue,
  prototypeKeyed,
  prototypeMethod,
  type Members,
} from './arbitraries.js'
import { fuzzOnce, sendFramed } from './exchange.js'
import { afterFuzz, checkpoint, controlCall, useFuzzDaemon } from './harness.js'
import { expectMessage, expectText, levels, MAX_MESSAGE_SIZE } from './outside-model.js'

/**
 * JSON messages of every odd shape on the outside port: each on a fresh
 * connection, checked against the documented protocol, and after each the
 * well-behaved connections and the control connection must still be served.
 */

// The rate limit is raised so that the neighbours' round trips after every input are never refused with 429.
const daemon = useFuzzDaemon({ setting: { max_message_size: MAX_MESSAGE_SIZE, max_messages_per_second: 100_000 } })

/** Sends `text` on a fresh connection as one text frame, or fragmented, exactly as its UTF-8 bytes, and checks the answer. */
async function exchangeText(text: string, fragments = 1): Promise<void> {
  const bytes = Buffer.from(text, 'utf8')
  await fuzzOnce(daemon(), (c) => sendFramed(c, { bytes, binary: false, fragments }), expectText(bytes), text)
}

/** One input, then the checks that the daemon still serves everyone else. */
async function sendText(text: string, fragments = 1): Promise<void> {
  await exchangeText(text, fragments)
  await checkpoint(daemon())
}

const PROPERTY_TIMEOUT = 120_000

describe('the outside port under fuzzed JSON messages', () => {
  it.prop([fc.array(fc.tuple(oddMessage, fc.integer({ min: 1, max: 3 })), { minLength: 1, maxLength: 4 })], { numRuns: 150 })(
    'answers a message with odd types in every field as the protocol says: refused with 400, or routed and answered (several clients at once)',
    async (messages) => {
      // Concurrent clients, each checked against its own message: an answer delivered to the wrong client fails its check.
      await Promise.all(messages.map(([members, fragments]) => exchangeText(objectText(members), fragments)))
      await checkpoint(daemon())
    },
    PROPERTY_TIMEOUT,
  )

  it.prop(
    [
      fc.oneof(
        fc
          .jsonValue({ maxDepth: 2 })
          .filter((v) => v === null || typeof v !== 'object' || Array.isArray(v))
          .map((v) => JSON.stringify(v)),
        oddString(40),
        fc.constantFrom('', ' ', '2', ' 2', '"2"', '{', '}', '{"method":', 'null', '[{"method":"index"}]', '\ufeff{}', '{}\u0000'),
      ),
    ],
    {
      numRuns: 80,
    },
  )(
    'refuses a text frame that is not a JSON object with 400 (and answers exactly "2" with "3")',
    async (text) => {
      await sendText(text)
    },
    PROPERTY_TIMEOUT,
  )

  it.prop(
    [
      fc.record({
        value: prototypeKeyed,
        top: fc.boolean(),
        method: fc.option(fc.constantFrom('index.index.echo', 'index.index.index', 'echo'), { nil: undefined }),
        extra: fc.uniqueArray(
          fc.tuple(
            fc.constantFrom('a', 'b', 'data'),
            oddValue.filter((v) => JSON.stringify(v).length < 200),
          ),
          { maxLength: 2, selector: ([k]) => k },
        ),
      }),
    ],
    { numRuns: 120 },
  )(
    'refuses __proto__, constructor and prototype as keys at any depth with 400, before any controller sees them',
    async ({ value, top, method, extra }) => {
      const members: Members = [...extra]
      if (method !== undefined) members.unshift(['method', method])
      if (top && value !== null && typeof value === 'object' && !Array.isArray(value)) {
        for (const key of Object.keys(value)) members.push([key, (value as Record<string, unknown>)[key]])
      } else members.push(['payload', value])
      // The generator's promise: each of these carries a reserved key, so the model must say "refused".
      expect(expectMessage(objectOf(members))).toMatchObject({ kind: 'answer', reject: 'must' })
      await sendText(objectText(members))
    },
    PROPERTY_TIMEOUT,
  )

  it.prop(
    [
      prototypeMethod,
      fc.uniqueArray(fc.tuple(fc.constantFrom('a', 'x', 'Constructor', '__proto__ '), fc.jsonValue({ maxDepth: 2 })), {
        maxLength: 2,
        selector: ([k]) => k,
      }),
    ],
    {
      numRuns: 100,
    },
  )(
    'never runs a prototype member or a hook named as a method: 400, 404 or 405 only',
    async (method, extra) => {
      const members: Members = [['method', method], ...extra]
      const expectation = expectMessage(objectOf(members))
      expect(expectation).toMatchObject({ kind: 'answer' })
      if (expectation.kind === 'answer') for (const status of expectation.routed) expect([404, 405]).toContain(status)
      await sendText(objectText(members))
    },
    PROPERTY_TIMEOUT,
  )

  it.prop([nesting, fc.boolean()], { numRuns: 80 })(
    'refuses JSON nested deeper than 32 levels with 400 and routes what is within it, at any depth up to the size limit',
    async (shape, topLevel) => {
      const nested = nestedText(shape)
      const text = topLevel ? nested : `{"method":"index.index.echo","deep":${nested}}`
      if (!topLevel && Buffer.byteLength(text) <= MAX_MESSAGE_SIZE) {
        // The documented limit, checked against the generated value itself.
        const value = JSON.parse(text) as unknown
        expect(expectMessage(value)).toMatchObject(levels(value) > 32 ? { reject: 'must' } : { reject: 'never' })
      }
      await sendText(text)
    },
    PROPERTY_TIMEOUT,
  )

  it('is still the same daemon afterwards: it answers, its heap settles, the control connection never dropped', async () => {
    const d = daemon()
    await controlCall(d, 'connections.list', { limit: 10 })
    await afterFuzz(d)
  })
})
