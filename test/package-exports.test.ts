import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
// The package by its own name, as a Node backend imports it (resolved through package.json "exports" to dist/).
import { decodeToken, encodeToken, MswError } from 'mswoole'
// The client wrapper, the same one file a page loads from the outside port.
import * as clientModule from 'mswoole/client'
import { legacyTokens } from './helpers/legacy-tokens.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))

describe('the mswoole package', () => {
  it('exports the token encoder for Node backends, interoperable with the daemon codec', async () => {
    const payload = { id: 1, type: 'wechatUser', code: 'room1', nickname: 'Tom', ctime: 1764000000 }
    const token = await encodeToken('mswoole', payload, 'marico-websocket')
    // Byte for byte what PHP's Encrypt::des made for the same user.
    const fixture = legacyTokens
    expect(token).toBe(fixture.vectors[0]?.token)
    expect(await decodeToken('mswoole', token, 'marico-websocket')).toEqual(payload)
    await expect(decodeToken('mswoole', token, 'other-key')).rejects.toBeInstanceOf(MswError)
  })

  it('exports the client wrapper as mswoole/client: one plain module with its types beside it, shipped in the package', () => {
    expect(Object.keys(clientModule)).toEqual(['MswClient'])
    expect(typeof clientModule.MswClient).toBe('function')
    const pkg = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { exports: Record<string, unknown> }
    expect(pkg.exports['./client']).toEqual({ types: './client/mswoole-client.d.ts', default: './client/mswoole-client.js' })
    // What the types declare is what the module exports.
    const declared = [
      ...readFileSync(`${ROOT}client/mswoole-client.d.ts`, 'utf8').matchAll(/^export (?:class|function|const) (\w+)/gm),
    ].map((m) => m[1])
    expect(declared).toEqual(Object.keys(clientModule))
    // No imports: it runs as it is in a browser and in Node.
    expect(readFileSync(`${ROOT}client/mswoole-client.js`, 'utf8')).not.toMatch(/^\s*import\b|\brequire\(/m)

    const packed = JSON.parse(
      execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8' }),
    ) as Array<{
      files: Array<{ path: string }>
    }>
    const files = packed[0]!.files.map((f) => f.path)
    expect(files).toEqual(expect.arrayContaining(['client/mswoole-client.js', 'client/mswoole-client.d.ts']))
  })
})
