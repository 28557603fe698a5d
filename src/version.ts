import { createRequire } from 'node:module'

// src/ and dist/ sit at the same depth, so one relative path serves both.
const pkg = createRequire(import.meta.url)('../package.json') as { version: string }

export const VERSION: string = pkg.version
