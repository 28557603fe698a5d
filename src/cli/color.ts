export interface ColorContext {
  /** Whether the output goes to a terminal (`stream.isTTY`). */
  isTTY: boolean | undefined
  env: Readonly<Record<string, string | undefined>>
  /** `--color` (true) or `--no-color` (false); undefined when neither was given. */
  flag?: boolean | undefined
}

/**
 * Whether to colour output: an explicit `--color` or `--no-color` decides;
 * otherwise only on a terminal, never under NO_COLOR (any non-empty value,
 * https://no-color.org) nor TERM=dumb.
 */
export function useColor({ isTTY, env, flag }: ColorContext): boolean {
  if (flag !== undefined) return flag
  if (isTTY !== true) return false
  if ((env.NO_COLOR ?? '') !== '') return false
  return env.TERM !== 'dumb'
}
