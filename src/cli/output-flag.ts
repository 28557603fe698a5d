import { Flags } from '@oclif/core'
import type { Layout } from './columns.js'

/** `-o wide` of the commands that print a table. */
export const outputFlags = {
  output: Flags.option({
    char: 'o',
    options: ['wide'] as const,
    description: 'wide: every column in full (by default a table fits the terminal, dropping or shortening columns)',
  })(),
}

/**
 * Cells a line may take: the terminal's width on a terminal; otherwise no
 * limit (a pipe gets everything) unless COLUMNS says one.
 */
export function outputWidth(stdout: { isTTY?: boolean; columns?: number } = process.stdout, env = process.env): number | undefined {
  if (stdout.isTTY && stdout.columns !== undefined && stdout.columns > 0) return stdout.columns
  const columns = Number(env.COLUMNS)
  return Number.isInteger(columns) && columns > 0 ? columns : undefined
}

export function layoutFor(output: 'wide' | undefined): Layout {
  return { wide: output === 'wide', width: outputWidth() }
}
