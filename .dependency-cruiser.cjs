/**
 * Import rules for src/, checked by `npm run lint`: no import cycles (type-only
 * imports included), and the layers kept apart.
 */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'a cycle ties modules that should be read and changed apart',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'worker-not-master',
      comment: 'the worker thread talks to the master through worker/protocol.ts only',
      severity: 'error',
      from: { path: '^src/worker/' },
      to: { path: '^src/daemon/' },
    },
    {
      name: 'daemon-not-cli',
      comment: 'the daemon never depends on the operator CLI',
      severity: 'error',
      from: { path: '^src/daemon/' },
      to: { path: '^src/(cli|commands|lifecycle)/' },
    },
    {
      name: 'commands-are-leaves',
      comment: 'nothing imports an oclif command',
      severity: 'error',
      from: { pathNot: '^src/commands/' },
      to: { path: '^src/commands/' },
    },
  ],
  options: {
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    doNotFollow: { path: 'node_modules' },
  },
}
