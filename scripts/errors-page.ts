// Writes docs/errors.md from the error catalogue of src/errors.ts:
// `npm run docs:errors` after changing the catalogue.
import { writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { renderErrorsPage } from './render-errors-page.js'

const page = fileURLToPath(new URL('../docs/errors.md', import.meta.url))
writeFileSync(page, renderErrorsPage())
process.stdout.write(`wrote ${page}\n`)
