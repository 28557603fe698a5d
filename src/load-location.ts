import { execFile } from 'node:child_process'
import { sep } from 'node:path'
import { fileURLToPath } from 'node:url'

/** Where in an application file (a controller, a migration, a helper they import) a load failed. */
export interface ErrorLocation {
  file: string
  line?: number
  column?: number
  /** The error's own words, without the location prefix tools put before them. */
  text: string
}

/** esbuild (through tsx): "Transform failed with 1 error:\n/abs/file.ts:3:14: ERROR: Unexpected ";"". */
const ESBUILD_LINE = /^(.+?):(\d+):(\d+): ERROR: (.*)$/m

/**
 * Finds where a load error happened. `appDir` bounds the search so a frame in
 * node:internal or in tsx never passes for the culprit.
 */
export async function locateLoadError(err: unknown, file: string, appDir: string): Promise<ErrorLocation> {
  const message = err instanceof Error ? err.message : String(err)
  const firstLine = message.split('\n')[0] ?? message

  const esbuild = ESBUILD_LINE.exec(message)
  if (esbuild) {
    const [, where = file, line, column, text = firstLine] = esbuild
    return { file: where, line: Number(line), column: Number(column), text }
  }

  const frame = err instanceof Error && err.stack ? frameInside(err.stack, appDir) : undefined
  if (frame) return { ...frame, text: firstLine }

  // Node 20 does not put the place of an ES module's syntax error in the error
  // it throws, only in what it prints; `node --check` prints it for us.
  if (err instanceof SyntaxError && /\.m?js$/.test(file)) {
    const line = await syntaxErrorLine(file)
    if (line !== undefined) return { file, line, text: firstLine }
  }
  return { file, text: firstLine }
}

/** The first stack frame in a file under appDir, as a plain path ("file:///x.ts?tsx-namespace=…:3:7" → "/x.ts", 3, 7). */
function frameInside(stack: string, appDir: string): { file: string; line: number; column: number } | undefined {
  const frame = /(file:\/\/[^\s()]+|\/[^\s():]+):(\d+):(\d+)/g
  for (const match of stack.matchAll(frame)) {
    const [, raw = '', line, column] = match
    const path = toPath(raw)
    if (path !== undefined && path.startsWith(appDir + sep)) return { file: path, line: Number(line), column: Number(column) }
  }
  return undefined
}

function toPath(raw: string): string | undefined {
  const withoutQuery = raw.replace(/\?.*$/, '')
  if (!withoutQuery.startsWith('file://')) return withoutQuery
  try {
    return fileURLToPath(withoutQuery)
  } catch {
    return undefined
  }
}

function syntaxErrorLine(file: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--check', file], { timeout: 10_000 }, (_err, _stdout, stderr) => {
      // Its first line is "<file>:<line>".
      const match = /^(.*):(\d+)\s*$/m.exec(String(stderr))
      resolve(match && match[1] === file ? Number(match[2]) : undefined)
    })
  })
}
