import { describe, expect, it } from 'vitest'
import { isLoopbackHost } from '../../src/config/loopback.js'

describe('isLoopbackHost', () => {
  it.each(['127.0.0.1', '127.9.9.9', 'localhost', 'app.localhost', '::1', '[::1]', '::ffff:127.0.0.2', '::ffff:7f00:1', '[::ffff:7f00:1]'])(
    'takes %s for this machine',
    (host) => expect(isLoopbackHost(host)).toBe(true),
  )

  it.each(['10.0.0.1', '0.0.0.0', '::', '::2', '::ffff:a00:1', '128.0.0.1', 'example.com', ''])(
    'takes %s for a host others can reach',
    (host) => expect(isLoopbackHost(host)).toBe(false),
  )
})
