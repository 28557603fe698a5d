import { existsSync } from 'node:fs'
import { execa } from 'execa'

/**
 * Finds a program a suite needs, installing its Debian package when it is
 * missing and we are root (as in CI). Never skips: without it, the suite fails and says why.
 */
export async function ensureProgram(path: string, debianPackage: string): Promise<string> {
  if (existsSync(path)) return path
  if (process.getuid?.() !== 0) throw new Error(`${path} is missing: install it with \`apt-get install -y ${debianPackage}\``)
  await execa('apt-get', ['update', '-qq'])
  await execa('apt-get', ['install', '-y', '-qq', debianPackage], { env: { DEBIAN_FRONTEND: 'noninteractive' } })
  if (!existsSync(path)) throw new Error(`installing ${debianPackage} did not provide ${path}`)
  return path
}
