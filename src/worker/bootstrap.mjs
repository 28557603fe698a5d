// Runs the worker from its TypeScript sources (tests, bin/dev.js); a build starts dist/worker/main.js instead.
import { tsImport } from 'tsx/esm/api'

await tsImport('./main.ts', import.meta.url)
