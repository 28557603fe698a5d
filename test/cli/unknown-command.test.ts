import { describe, expect, it } from 'vitest'
import { editDistance, nearest, unknownCommandError } from '../../src/cli/unknown-command.js'

const CATALOGUE = {
  bin: 'mswoole',
  commands: ['start', 'stop', 'status', 'broadcast', 'push', 'kick', 'conn:ls', 'rooms', 'help', 'version', 'secret'].map((id) => ({
    id,
    hidden: id === 'secret',
  })),
  topics: [{ name: 'conn' }],
}

describe('unknownCommandError', () => {
  it('suggests the nearest command for a typo, with the code and the way to the list', () => {
    const err = unknownCommandError(CATALOGUE, 'stauts')
    expect(err.code).toBe('MSW_ERR_UNKNOWN_COMMAND')
    expect(err.message).toBe('unknown command "stauts"; did you mean "status"? (see mswoole help)')
    expect(err.details).toEqual({ command: 'stauts', suggestion: 'status' })
  })

  it('suggests commands of a topic and topics, spelled with spaces as typed', () => {
    expect(unknownCommandError(CATALOGUE, 'conn:lss').details).toMatchObject({ command: 'conn lss', suggestion: 'conn ls' })
    expect(unknownCommandError(CATALOGUE, 'con').details).toMatchObject({ suggestion: 'conn' })
  })

  it('suggests nothing far from every command, and never a hidden one', () => {
    const err = unknownCommandError(CATALOGUE, 'deploy')
    expect(err.message).toBe('unknown command "deploy" (see mswoole help)')
    expect(err.details).toEqual({ command: 'deploy' })
    expect(unknownCommandError(CATALOGUE, 'secrets').details).toEqual({ command: 'secrets' })
  })

  it('calls words after a command that takes none an unexpected argument', () => {
    const err = unknownCommandError(CATALOGUE, 'stop:now')
    expect(err.code).toBe('MSW_ERR_INVALID_ARGUMENT')
    expect(err.message).toBe('unexpected argument "now" for mswoole stop (see mswoole help stop)')
  })

  it('calls a flag given before any command what it is', () => {
    const err = unknownCommandError(CATALOGUE, '--json')
    expect(err.code).toBe('MSW_ERR_INVALID_ARGUMENT')
    expect(err.message).toBe('--json needs a command before it (see mswoole help)')
  })
})

describe('nearest and editDistance', () => {
  it('counts a swap of neighbours as one edit', () => {
    expect(editDistance('stauts', 'status')).toBe(1)
    expect(editDistance('status', 'status')).toBe(0)
    expect(editDistance('', 'kick')).toBe(4)
    expect(editDistance('strat', 'start')).toBe(1)
  })

  it('takes the closest candidate within a third of the word (at least 2 edits)', () => {
    expect(nearest('stp', ['start', 'stop', 'status'])).toBe('stop')
    expect(nearest('brodcast', ['broadcast', 'push'])).toBe('broadcast')
    expect(nearest('xyz', ['start', 'stop'])).toBeUndefined()
  })
})
