import { cp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'

const REPO = fileURLToPath(new URL('../..', import.meta.url))

/** Where the run's builds go: inside the package, so an app's `import … from 'mswoole'` resolves to it. */
const BUILDS = path.join(REPO, '.cache', 'test-apps')

/** The applications built, and the variable that tells the test files where each build is. */
const APPS = [
  { name: 'sample', source: 'app', env: 'MSW_TEST_APP' },
  { name: 'fixtures', source: 'test/fixtures/app', env: 'MSW_TEST_FIXTURE_APP' },
] as const

/**
 * Builds the sample application and the test controllers as JavaScript once
 * per run, for the test daemons that need an application but not its
 * TypeScript: a worker loads .ts files through tsx's hooks, a thread and a
 * transform of their own that cost each daemon start about a quarter of its
 * CPU. The suites about TypeScript applications (loading, errors, reload)
 * name their sources.
 */
export async function setup(): Promise<void> {
  for (const { name, source, env } of APPS) {
    const out = path.join(BUILDS, `${name}-${process.pid}`)
    await rm(out, { recursive: true, force: true })
    await emit(path.join(REPO, source), out)
    process.env[env] = out
  }
}

export async function teardown(): Promise<void> {
  for (const { env } of APPS) {
    const out = process.env[env]
    if (out?.startsWith(BUILDS)) await rm(out, { recursive: true, force: true })
  }
}

async function emit(from: string, to: string): Promise<void> {
  await mkdir(to, { recursive: true })
  for (const entry of await readdir(from, { withFileTypes: true })) {
    const source = path.join(from, entry.name)
    if (entry.isDirectory()) {
      await emit(source, path.join(to, entry.name))
    } else if (entry.name.endsWith('.ts')) {
      const { outputText } = ts.transpileModule(await readFile(source, 'utf8'), {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
        fileName: source,
      })
      await writeFile(path.join(to, entry.name.replace(/\.ts$/, '.js')), outputText)
    } else {
      await cp(source, path.join(to, entry.name))
    }
  }
}
