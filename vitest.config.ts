import { availableParallelism } from 'node:os'
import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/setup/apps-in-js.ts'],
    // Suites spawn real daemons; each uses its own folder and free ports, so files run in parallel.
    pool: 'forks',
    // One fork runs file after file: starting a fork and importing the helpers again for each
    // of a hundred files is most of a core for a minute. Files keep no state in shared modules.
    isolate: false,
    // Most of a file's time is spent waiting on daemons, sockets and servers rather than on
    // this machine's cores, so twice as many files as cores run at once (vitest's own
    // default is one less than the cores: a single file at a time on two).
    maxWorkers: Math.min(8, 2 * availableParallelism()),
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
})
