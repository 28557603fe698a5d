/**
 * The one catalogue of mswoole's errors. Every error the daemon or the CLI
 * raises is declared here with a stable code; callers branch on `code`,
 * never on message text. docs/errors.md mirrors this list.
 */
export const ERRORS = {
  MSW_ERR_CONFIG_NOT_FOUND: 'configuration not found',
  MSW_ERR_CONFIG_INVALID: 'invalid configuration',
  MSW_ERR_ALREADY_RUNNING: 'daemon already running',
  MSW_ERR_NOT_RUNNING: 'daemon is not running',
  MSW_ERR_START_LOCKED: 'another start holds the start lock',
  MSW_ERR_PORT_IN_USE: 'port already in use',
  MSW_ERR_LISTEN: 'cannot listen',
  MSW_ERR_SOCKET_PATH_TOO_LONG: 'control socket path too long',
  MSW_ERR_START_FAILED: 'daemon failed to start',
  MSW_ERR_RUNTIME_UNSAFE: 'the runtime folder is not private to the user the daemon runs as',
  MSW_ERR_START_TIMEOUT: 'daemon did not report ready in time',
  MSW_ERR_IPC_CONNECT: 'cannot reach the control socket',
  MSW_ERR_IPC_TIMEOUT: 'control request timed out',
  MSW_ERR_IPC_CLOSED: 'control connection closed',
  MSW_ERR_RPC_PARSE: 'malformed JSON',
  MSW_ERR_RPC_INVALID_REQUEST: 'invalid JSON-RPC request',
  MSW_ERR_RPC_METHOD_NOT_FOUND: 'method not found',
  MSW_ERR_RPC_INVALID_PARAMS: 'invalid params',
  MSW_ERR_RPC_TOO_LARGE: 'request line too long',
  MSW_ERR_INTERNAL: 'internal error',
  MSW_ERR_LOG_NOT_FOUND: 'log file not found',
  MSW_ERR_APP_LOAD: 'the application failed to load',
  MSW_ERR_RELOAD_REFUSED: 'reload refused',
  MSW_ERR_INVALID_ARGUMENT: 'invalid argument',
  MSW_ERR_UNKNOWN_COMMAND: 'no such command',
  MSW_ERR_AUTH_INVALID: 'invalid auth token',
  MSW_ERR_AUTH_EXPIRED: 'auth token expired',
  MSW_ERR_STORE_WRONGTYPE: 'WRONGTYPE Operation against a key holding the wrong kind of value',
  MSW_ERR_STORE_NOT_INTEGER: 'value is not an integer or out of range',
  MSW_ERR_STORE_UNAVAILABLE: 'the store is unreachable',
  MSW_ERR_CONN_NOT_FOUND: 'no such connection',
  MSW_ERR_UNAUTHORIZED: 'missing or wrong manager key',
  MSW_ERR_NOT_FOUND: 'no such route',
  MSW_ERR_BAD_REQUEST: 'malformed request',
  MSW_ERR_BODY_TOO_LARGE: 'request body too large',
  MSW_ERR_METHOD_NOT_ALLOWED: 'HTTP method not allowed on this route',
  MSW_ERR_UNSUPPORTED_MEDIA_TYPE: 'unsupported request content type',
  MSW_ERR_MANAGER_HOST: 'the Host header names no address of the manager port',
  MSW_ERR_MANAGER_ORIGIN: 'a browser page of an origin not allowed on the manager port',
  MSW_ERR_MANAGER_RATE_LIMITED: 'too many wrong manager keys from this address',
  MSW_ERR_MANAGER_KEY_FILE: 'the manager key file cannot be used',
  MSW_ERR_NODE_ID_IN_USE: 'another live node has this node id',
  MSW_ERR_DB_UNAVAILABLE: 'the database cannot be opened or reached',
  MSW_ERR_MIGRATION_FAILED: 'a database migration failed',
  MSW_ERR_UNSAFE_FILE: 'refused to open a runtime file that is a symbolic link',
  MSW_ERR_DEBUG_DISABLED: 'debug methods need a daemon started with --expose-gc',
} as const

export type ErrorCode = keyof typeof ERRORS

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
