import { mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'

export interface TempApp {
  /** The application folder (what workerData.appDir names). */
  dir: string
  /** Writes a file under the app folder, making its folders. */
  write(relative: string, text: string): Promise<string>
  remove(): Promise<void>
}

/**
 * A throwaway application folder. `module: true` puts a package.json with
 * "type": "module" above it, as in a real project; without it, tsx compiles
 * TypeScript as CommonJS.
 */
export async function makeTempApp(options: { module?: boolean } = {}): Promise<TempApp> {
  const root = await realpath(await mkdtemp(path.join(tmpdir(), 'msw-app-')))
  if (options.module !== false) await writeFile(path.join(root, 'package.json'), '{ "type": "module" }\n')
  const dir = path.join(root, 'app')
  await mkdir(dir)
  return {
    dir,
    async write(relative, text) {
      const file = path.join(dir, relative)
      await mkdir(path.dirname(file), { recursive: true })
      await writeFile(file, text)
      return file
    },
    remove: () => rm(root, { recursive: true, force: true }),
  }
}
