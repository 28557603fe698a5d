#!/usr/bin/env -S node --import tsx --no-warnings=ExperimentalWarning
// Runs the CLI from the TypeScript sources, no build step.
import { execute } from '@oclif/core'

await execute({ development: true, dir: import.meta.url })
