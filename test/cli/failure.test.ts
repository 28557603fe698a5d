import { Errors } from '@oclif/core'
import { describe, expect, it } from 'vitest'
import { describeFailure, failureLine, wantsJson } from '../../src/cli/failure.js'
import { MswError } from '../../src/errors.js'

describe('describeFailure', () => {
  it.each([
    ['MSW_ERR_INVALID_ARGUMENT', 2],
    ['MSW_ERR_UNKNOWN_COMMAND', 2],
    ['MSW_ERR_NOT_RUNNING', 3],
    ['MSW_ERR_CONN_NOT_FOUND', 1],
    ['MSW_ERR_START_TIMEOUT', 1],
  ] as const)('ends %s with exit %i', (code, exitCode) => {
    expect(describeFailure(new MswError(code, 'why')).exitCode).toBe(exitCode)
  })

  it("makes oclif's parser errors usage errors with a code, on one line", () => {
    const parser = new Errors.CLIError('Parsing --timeout \n\tExpected an integer but received: abc\nSee more help with --help')
    const failure = describeFailure(parser)
    expect(failure).toEqual({
      error: { code: 'MSW_ERR_INVALID_ARGUMENT', message: '--timeout: Expected an integer but received: abc' },
      exitCode: 2,
    })
    expect(failureLine(failure)).toBe('Error: --timeout: Expected an integer but received: abc [MSW_ERR_INVALID_ARGUMENT]')
  })

  it('makes anything else an internal error that exits 1', () => {
    expect(describeFailure(new TypeError('x is undefined'))).toEqual({
      error: { code: 'MSW_ERR_INTERNAL', message: 'x is undefined' },
      exitCode: 1,
    })
    expect(describeFailure(new Errors.CLIError('broken plugin', { exit: 1 })).exitCode).toBe(1)
  })

  it('knows an MswError made by another copy of the module by its name and code', () => {
    const copy = Object.assign(new Error('unknown command "x"'), { name: 'MswError', code: 'MSW_ERR_UNKNOWN_COMMAND' })
    expect(describeFailure(copy)).toEqual({ error: { code: 'MSW_ERR_UNKNOWN_COMMAND', message: 'unknown command "x"' }, exitCode: 2 })
  })

  it("keeps an MswError's details and prints only its first line", () => {
    const failure = describeFailure(new MswError('MSW_ERR_APP_LOAD', 'Index.ts:3: boom\n    at stack', { details: { file: 'Index.ts' } }))
    expect(failure.error).toEqual({ code: 'MSW_ERR_APP_LOAD', message: 'Index.ts:3: boom\n    at stack', details: { file: 'Index.ts' } })
    expect(failureLine(failure)).toBe('Error: Index.ts:3: boom [MSW_ERR_APP_LOAD]')
  })
})

describe('wantsJson', () => {
  it('sees --json before any --', () => {
    expect(wantsJson(['stauts', '--json'])).toBe(true)
    expect(wantsJson(['broadcast', '--', '--json'])).toBe(false)
    expect(wantsJson(['status'])).toBe(false)
  })
})
