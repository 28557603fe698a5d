import { readFile, rename, rm, writeFile } from 'node:fs/promises'
import { rmSync } from 'node:fs'

/** The pid recorded in a pid file, or undefined when the file is absent or unreadable. */
export async function readPidFile(file: string): Promise<number | undefined> {
  try {
    const pid = Number.parseInt((await readFile(file, 'utf8')).trim(), 10)
    return Number.isInteger(pid) && pid > 0 ? pid : undefined
  } catch {
    return undefined
  }
}

/** Written through a temporary file and a rename, so a reader never sees half a pid. */
export async function writePidFile(file: string, pid: number): Promise<void> {
  const temporary = `${file}.${pid}.tmp`
  await writeFile(temporary, `${pid}\n`, { mode: 0o600 })
  await rename(temporary, file)
}

export async function removeFiles(...files: string[]): Promise<void> {
  await Promise.all(files.map((file) => rm(file, { force: true })))
}

/** For exit paths where nothing asynchronous runs any more. */
export function removeFilesSync(...files: string[]): void {
  for (const file of files) rmSync(file, { force: true })
}
