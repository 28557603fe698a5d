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
      name: 'no-circular-folders',
      comment: 'folders are the layers: two that import each other are one layer in two places',
      severity: 'error',
      scope: 'folder',
      from: {},
      to: { circular: true },
    },
    {
      name: 'client-path-below-the-rest',
      comment:
        'daemon/clients (a socket from open to close, its frames in and out) is used by the cluster, the pool wiring, control and the ports; it knows none of them',
      severity: 'error',
      from: { path: '^src/daemon/clients/' },
      to: { path: '^src/daemon/(cluster|history|pool|control|manager|outside|metrics|signals|store|runtime)/' },
    },
    {
      name: 'history-below-the-ports',
      comment:
        "daemon/history keeps rooms' messages and answers @recover; the cluster sends through it, and it knows neither the ports, the control API nor the pool",
      severity: 'error',
      from: { path: '^src/daemon/history/' },
      to: { path: '^src/daemon/(cluster|pool|control|manager|outside)/' },
    },
    {
      name: 'pool-knows-no-clients',
      comment: 'the pool runs worker threads; what their requests do (sends, rooms) is wired in by the daemon',
      severity: 'error',
      from: { path: '^src/daemon/pool/' },
      to: { path: '^src/daemon/(clients|cluster|control|manager|outside)/' },
    },
    {
      name: 'contracts-stand-alone',
      comment: 'a contract is imported by both sides and imports neither',
      severity: 'error',
      from: { path: '^src/contracts/' },
      to: { path: '^src/(daemon|worker|db|cli|commands|lifecycle|ipc|logs|auth)/' },
    },
    {
      name: 'master-not-worker',
      comment: 'the master and the worker threads meet in contracts/thread-channel.ts',
      severity: 'error',
      from: { path: '^src/daemon/' },
      to: { path: '^src/worker/' },
    },
    {
      name: 'db-not-worker',
      comment: 'the worker opens the database; the database layer never reaches back',
      severity: 'error',
      from: { path: '^src/db/' },
      to: { path: '^src/worker/' },
    },
    {
      name: 'config-not-runtime',
      comment: 'the configuration is read by every layer and depends on none of them',
      severity: 'error',
      from: { path: '^src/config/' },
      to: { path: '^src/(daemon|worker|db|cli|commands|lifecycle)/' },
    },
    {
      name: 'worker-not-master',
      comment: 'the worker thread talks to the master through contracts/thread-channel.ts only',
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
