import { readFileSync } from 'node:fs'

/** Tokens as MSwoole-ws (PHP) minted them, made outside the project (see the fixture's "about"). */
export interface LegacyTokens {
  about: string
  key: string
  vectors: Array<{ token: string; payload: Record<string, unknown> }>
  invalid: string[]
}

export const legacyTokens: LegacyTokens = JSON.parse(
  readFileSync(new URL('../fixtures/legacy-tokens.json', import.meta.url), 'utf8'),
) as LegacyTokens
