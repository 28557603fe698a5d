// Writes oclif.manifest.json after a build: with it, the CLI starts without
// importing every command module to learn their names and flags.
import { rm, writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { Config } from '@oclif/core'

const root = fileURLToPath(new URL('..', import.meta.url))
const file = new URL('../oclif.manifest.json', import.meta.url)
// A stale manifest must not describe the commands it is being rebuilt from.
await rm(file, { force: true })
const config = await Config.load({ root, ignoreManifest: true })
await writeFile(file, JSON.stringify(config.rootPlugin.manifest) + '\n')
