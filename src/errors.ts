/**
 * The one catalogue of mswoole's errors. Every error the daemon or the CLI
 * raises is declared here with a stable code; callers branch on `code`,
 * never on message text. docs/errors.md is generated from it by
 * `npm run docs:errors`, so its texts are written here, not there.
 */

/** One code: its default message, and what it means and what to do (markdown, the columns of docs/errors.md). */
export interface ErrorEntry {
  readonly message: string
  readonly meaning: string
  readonly action: string
}

export const ERROR_CATALOGUE = {
  MSW_ERR_CONFIG_NOT_FOUND: {
    message: 'configuration not found',
    meaning: 'the configuration folder or its `app.json` is missing',
    action: 'pass `-c <dir>` or set `MSWOOLE_CONFIG`',
  },
  MSW_ERR_CONFIG_INVALID: {
    message: 'invalid configuration',
    meaning: 'a file, a key or an environment override is wrong',
    action: 'fix what the message names',
  },
  MSW_ERR_ALREADY_RUNNING: {
    message: 'daemon already running',
    meaning: 'a daemon already runs on this runtime folder (`start --foreground`; a background `start` says so and exits 0)',
    action: '`mswoole status`; stop it first',
  },
  MSW_ERR_NOT_RUNNING: {
    message: 'daemon is not running',
    meaning: 'no daemon answers on the control socket',
    action: '`mswoole start`',
  },
  MSW_ERR_START_LOCKED: {
    message: 'another start holds the start lock',
    meaning: 'another start held the start lock for too long',
    action: 'retry; check for a hung `mswoole start`',
  },
  MSW_ERR_PORT_IN_USE: {
    message: 'port already in use',
    meaning: 'the outside or manager port is taken',
    action: 'free it, or change the port',
  },
  MSW_ERR_LISTEN: {
    message: 'cannot listen',
    meaning: 'a port could not be bound for another reason (address, permission)',
    action: 'check the host and port',
  },
  MSW_ERR_SOCKET_PATH_TOO_LONG: {
    message: 'control socket path too long',
    meaning: "the control socket path exceeds the system's limit (107 bytes)",
    action: 'set `runtime` to a shorter folder',
  },
  MSW_ERR_START_FAILED: {
    message: 'daemon failed to start',
    meaning:
      "the daemon exited before it was ready; the message ends with the daemon's own words (the last warning or error of its log, or the error it printed to `daemon.out`), or says it wrote nothing; with `--json`, `details` holds the last lines of both files",
    action: 'fix what it names; `mswoole logs`',
  },
  MSW_ERR_RUNTIME_UNSAFE: {
    message: 'the runtime folder is not private to the user the daemon runs as',
    meaning: 'the runtime folder (or its `logs/`) exists but is a symbolic link, belongs to another user, or group or others may write it',
    action: "remove it, or `chown` it to the daemon's user and `chmod 700` it, or set `runtime` to a folder of your own",
  },
  MSW_ERR_UNSAFE_FILE: {
    message: 'refused to open a runtime file that is a symbolic link',
    meaning:
      'a file the daemon writes (its log, `daemon.out`, the SQLite database or its `-wal`/`-shm`/`-journal`) is a symbolic link; the daemon refuses to write through it',
    action: 'remove the link; the daemon creates its own files there',
  },
  MSW_ERR_MANAGER_KEY_FILE: {
    message: 'the manager key file cannot be used',
    meaning:
      "the generated `runtime/manager.key` is a symbolic link, not a regular file, not the daemon user's, readable by group or others, or empty",
    action: 'remove it and start again: a new key is generated',
  },
  MSW_ERR_START_TIMEOUT: {
    message: 'daemon did not report ready in time',
    meaning:
      'the daemon did not report ready within `--timeout`; it is stopped, and the message ends with its own words as for `MSW_ERR_START_FAILED`',
    action: 'fix what it names, or raise `--timeout`',
  },
  MSW_ERR_IPC_CONNECT: {
    message: 'cannot reach the control socket',
    meaning: 'the control socket exists but cannot be opened (permissions)',
    action: "run as the daemon's user",
  },
  MSW_ERR_IPC_TIMEOUT: {
    message: 'control request timed out',
    meaning: 'the daemon did not answer a control request in time',
    action: 'check `mswoole logs`; the daemon may be overloaded',
  },
  MSW_ERR_IPC_CLOSED: {
    message: 'control connection closed',
    meaning: 'the daemon closed the control connection mid-request',
    action: 'it is probably stopping',
  },
  MSW_ERR_RPC_PARSE: {
    message: 'malformed JSON',
    meaning: 'a malformed control request',
    action: 'fix the request',
  },
  MSW_ERR_RPC_INVALID_REQUEST: {
    message: 'invalid JSON-RPC request',
    meaning: 'a malformed control request',
    action: 'fix the request',
  },
  MSW_ERR_RPC_METHOD_NOT_FOUND: {
    message: 'method not found',
    meaning: 'a malformed control request',
    action: 'fix the request',
  },
  MSW_ERR_RPC_INVALID_PARAMS: {
    message: 'invalid params',
    meaning: 'a malformed control request',
    action: 'fix the request',
  },
  MSW_ERR_RPC_TOO_LARGE: {
    message: 'request line too long',
    meaning: 'a malformed control request',
    action: 'fix the request',
  },
  MSW_ERR_LOG_NOT_FOUND: {
    message: 'log file not found',
    meaning: 'there is no log file yet',
    action: 'start the daemon once',
  },
  MSW_ERR_RELOAD_REFUSED: {
    message: 'reload refused',
    meaning: 'a reload was asked for while the daemon is stopping',
    action: 'start it again first',
  },
  MSW_ERR_DRAIN_UNSUPPORTED: {
    message: 'the running daemon cannot drain',
    meaning: '`stop --drain` reached a daemon started by an older mswoole, which does not know the drain; it was left running, untouched',
    action: 'stop it without `--drain` (its clients get 1001 at once), then start this version',
  },
  MSW_ERR_APP_LOAD: {
    message: 'the application failed to load',
    meaning: 'a controller failed to load (syntax error, throw at import, no default class); the message names the file and line',
    action: 'fix the file',
  },
  MSW_ERR_MIGRATION_FAILED: {
    message: 'a database migration failed',
    meaning: 'a database migration did not load or failed at `start` or `reload`; the message names it, its file and line',
    action: 'fix the migration; the schema was left as it was',
  },
  MSW_ERR_DB_UNAVAILABLE: {
    message: 'the database cannot be opened or reached',
    meaning: 'the database of `config/db.json` cannot be opened (SQLite) or reached (PostgreSQL)',
    action: "check the file's folder and permissions, or the server and the URL",
  },
  MSW_ERR_STORE_WRONGTYPE: {
    message: 'WRONGTYPE Operation against a key holding the wrong kind of value',
    meaning: 'a store command on a key of another type',
    action: "use the command for the key's type",
  },
  MSW_ERR_STORE_NOT_INTEGER: {
    message: 'value is not an integer or out of range',
    meaning: '`incr` on a value that is not an integer',
    action: '',
  },
  MSW_ERR_AUTH_INVALID: {
    message: 'invalid auth token',
    meaning: 'a client token is invalid',
    action: 'mint a new token',
  },
  MSW_ERR_AUTH_EXPIRED: {
    message: 'auth token expired',
    meaning: 'a client token is too old',
    action: 'mint a new token',
  },
  MSW_ERR_INVALID_ARGUMENT: {
    message: 'invalid argument',
    meaning: 'a value passed to a command or function is not acceptable; on the command line, exit 2',
    action: 'fix the argument',
  },
  MSW_ERR_UNKNOWN_COMMAND: {
    message: 'no such command',
    meaning: 'the command line names no command (`mswoole stauts`); the message suggests the nearest command or topic; exit 2',
    action: '`mswoole help`',
  },
  MSW_ERR_CONN_NOT_FOUND: {
    message: 'no such connection',
    meaning: 'no open connection has that fd or connection id (kick, push), or no connection has that uid (push)',
    action: '`mswoole conn ls`',
  },
  MSW_ERR_NODE_ID_IN_USE: {
    message: 'another live node has this node id',
    meaning: 'another live node of the cluster has this `node_id`',
    action: 'give each node its own `node_id`',
  },
  MSW_ERR_UNAUTHORIZED: {
    message: 'missing or wrong manager key',
    meaning: 'a manager request without `manager.key`, or with the wrong one (HTTP 401)',
    action: 'send `Authorization: Bearer <key>` or `X-Api-Key: <key>`',
  },
  MSW_ERR_NOT_FOUND: {
    message: 'no such route',
    meaning: 'no manager route at that path (HTTP 404)',
    action: 'see [The manager port](manager.md#the-manager-port)',
  },
  MSW_ERR_BAD_REQUEST: {
    message: 'malformed request',
    meaning: 'a manager request body that cannot be read: bad JSON, not an object (HTTP 400)',
    action: 'fix the request',
  },
  MSW_ERR_METHOD_NOT_ALLOWED: {
    message: 'HTTP method not allowed on this route',
    meaning: 'the wrong HTTP method for a manager route (HTTP 405)',
    action: 'see [The manager port](manager.md#the-manager-port)',
  },
  MSW_ERR_UNSUPPORTED_MEDIA_TYPE: {
    message: 'unsupported request content type',
    meaning: 'a manager request body that is neither JSON nor a form (HTTP 415)',
    action: 'see [The manager port](manager.md#the-manager-port)',
  },
  MSW_ERR_MANAGER_HOST: {
    message: 'the Host header names no address of the manager port',
    meaning: 'a manager request whose `Host` is not loopback, `manager.host` or in `manager.allowed_hosts` (HTTP 421)',
    action: 'call it by a loopback address, or list the name in `manager.allowed_hosts`',
  },
  MSW_ERR_MANAGER_ORIGIN: {
    message: 'a browser page of an origin not allowed on the manager port',
    meaning: 'a manager request from a browser page whose origin is not in `manager.allowed_origins` (HTTP 403)',
    action: 'list the origin, or call from a backend',
  },
  MSW_ERR_MANAGER_RATE_LIMITED: {
    message: 'too many wrong manager keys from this address',
    meaning: 'too many wrong manager keys from this address (HTTP 429, `Retry-After`)',
    action: 'wait, then send the right key',
  },
  MSW_ERR_DASHBOARD_READONLY: {
    message: 'the dashboard is read-only',
    meaning:
      'an action (reload, broadcast, push, kick, stop) from a dashboard session while `manager.dashboard` is `"readonly"` (HTTP 403)',
    action: 'set `manager.dashboard` to `"on"` (needs a manager key), or call with the key from a backend',
  },
  MSW_ERR_DASHBOARD_ORIGIN: {
    message: 'a dashboard session request from outside the dashboard page',
    meaning:
      "a state-changing request carrying the dashboard cookie without the manager's own `Origin` or the page's `X-Mswoole-Dashboard` header (HTTP 403)",
    action: 'use the dashboard page, or send the manager key',
  },
  MSW_ERR_DEBUG_DISABLED: {
    message: 'debug methods need a daemon started with --expose-gc',
    meaning: '`debug.gc` was called on a daemon started without `--expose-gc`',
    action: 'benchmarks only: start with `mswoole start --expose-gc`',
  },
  MSW_ERR_BODY_TOO_LARGE: {
    message: 'request body too large',
    meaning: 'a manager request body over the cap (HTTP 413)',
    action: 'send less',
  },
  MSW_ERR_STORE_UNAVAILABLE: {
    message: 'the store is unreachable',
    meaning: 'the store does not answer (`/healthz` reports `degraded`)',
    action: 'check Redis',
  },
  MSW_ERR_INTERNAL: {
    message: 'internal error',
    meaning: 'a bug',
    action: 'report it with the log',
  },
} as const satisfies Record<string, ErrorEntry>

export type ErrorCode = keyof typeof ERROR_CATALOGUE

/** The default message of each code: `ERRORS[code]`. */
export const ERRORS = Object.fromEntries(Object.entries(ERROR_CATALOGUE).map(([code, entry]) => [code, entry.message])) as {
  readonly [C in ErrorCode]: (typeof ERROR_CATALOGUE)[C]['message']
}

export interface MswErrorOptions {
  cause?: unknown
  /** Extra machine-readable facts (file, key, port…), carried over JSON-RPC. */
  details?: Record<string, unknown>
}

export class MswError extends Error {
  readonly code: ErrorCode
  readonly details: Record<string, unknown> | undefined

  constructor(code: ErrorCode, message?: string, options: MswErrorOptions = {}) {
    super(message ?? ERRORS[code], options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'MswError'
    this.code = code
    this.details = options.details
  }

  toJSON(): { code: ErrorCode; message: string; details?: Record<string, unknown> } {
    return this.details ? { code: this.code, message: this.message, details: this.details } : { code: this.code, message: this.message }
  }
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERRORS, value)
}

/** Rebuilds an MswError from its JSON form (as sent over IPC); unknown codes become MSW_ERR_INTERNAL. */
export function errorFromJSON(value: { code?: unknown; message?: unknown; details?: unknown }): MswError {
  const code = isErrorCode(value.code) ? value.code : 'MSW_ERR_INTERNAL'
  const message = typeof value.message === 'string' ? value.message : ERRORS[code]
  const details = value.details && typeof value.details === 'object' ? (value.details as Record<string, unknown>) : undefined
  return new MswError(code, message, details ? { details } : {})
}

/** The errno-style code of a Node system error, if any. */
export function systemCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : undefined
}
