import { describe, expect, it } from 'vitest'
import { parseConnectionRef } from '../../src/cli/connection-ref.js'

describe('parseConnectionRef', () => {
  it('takes an fd as a number and a connection id as it is', () => {
    expect(parseConnectionRef('12')).toBe(12)
    expect(parseConnectionRef('node-1:3')).toBe('node-1:3')
  })

  it.each(['abc', '0', '1.5', '12x', 'node:0', ':3', 'a b:3', '', '-1', '1e3'])('refuses %j with MSW_ERR_INVALID_ARGUMENT', (text) => {
    expect(() => parseConnectionRef(text)).toThrow(
      expect.objectContaining({
        code: 'MSW_ERR_INVALID_ARGUMENT',
        message: `expected an fd or a connection id "<node>:<fd>", got "${text}"`,
      }),
    )
  })
})
