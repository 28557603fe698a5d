// Copies the dashboard's libraries (Preact, its hooks, htm, uPlot) from node_modules
// into dist/dashboard-vendor, where the manager port serves them under /dashboard/vendor/.
// Nothing is downloaded: npm install put them there. Bare imports ("preact") are made
// relative, so the page needs no import map.
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const out = path.join(root, 'dist', 'dashboard-vendor')
const packageDir = (name) => path.join(root, 'node_modules', name)

const files = [
  ['preact', 'dist/preact.mjs', 'preact.mjs'],
  ['preact', 'hooks/dist/hooks.mjs', 'hooks.mjs'],
  ['htm', 'dist/htm.mjs', 'htm.mjs'],
  ['uplot', 'dist/uPlot.esm.js', 'uplot.mjs'],
  ['uplot', 'dist/uPlot.min.css', 'uplot.css'],
]

await mkdir(out, { recursive: true })
for (const [name, from, to] of files) {
  const text = await readFile(path.join(packageDir(name), from), 'utf8')
  await writeFile(path.join(out, to), text.replace(/from\s*"preact"/g, 'from"./preact.mjs"'))
}
for (const name of ['preact', 'htm', 'uplot']) await copyFile(path.join(packageDir(name), 'LICENSE'), path.join(out, `${name}.LICENSE.txt`))
