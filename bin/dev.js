#!/usr/bin/env -S node --import tsx --no-warnings=ExperimentalWarning
// Runs the CLI from the TypeScript sources, no build step.
import { runCli } from '../src/cli/run-cli.ts'

await runCli(import.meta.url, { development: true })
