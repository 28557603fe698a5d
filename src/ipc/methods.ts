import { z } from 'zod'

/**
 * The control API's method table: params (validated with zod) and results.
 * The daemon's handlers and the CLI's client are typed from this one module,
 * so the two sides cannot drift apart.
 */

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const
export type LogLevelName = (typeof LOG_LEVELS)[number]

export const MAX_TAIL_LINES = 10_000

export const paramSchemas = {
  status: z.object({}).strict(),
  reload: z.object({}).strict(),
  stop: z
    .object({
      /** Seconds to wait for clients to close before forcing. */
      timeout: z.number().positive().max(3600).optional(),
    })
    .strict(),
  'logs.tail': z
    .object({
      lines: z.number().int().min(0).max(MAX_TAIL_LINES).default(50),
      follow: z.boolean().default(false),
      level: z.enum(LOG_LEVELS).optional(),
    })
    .strict(),
} as const

export type MethodName = keyof typeof paramSchemas
export type ParamsOf<M extends MethodName> = z.input<(typeof paramSchemas)[M]>
export type ParsedParamsOf<M extends MethodName> = z.output<(typeof paramSchemas)[M]>

export interface Address {
  host: string
  port: number
}

export interface WorkerStatus {
  id: number
  /** Workers are threads of the daemon: its pid, and the thread's id. */
  pid: number
  threadId: number
  generation: number
  handled: number
  inFlight: number
  memory: number
}

export interface StatusResult {
  running: true
  state: 'starting' | 'running' | 'stopping'
  pid: number
  version: string
  nodeId: string
  node: string
  startedAt: string
  uptime: number
  outside: Address
  manager: Address
  connections: number
  generation: number
  workers: WorkerStatus[]
  memory: { rss: number; heapUsed: number; heapTotal: number; external: number }
  configDir: string
  logFile: string
  socket: string
}

export interface StopResult {
  stopped: true
  pid: number
  closedConnections: number
  forced: number
  durationMs: number
}

export interface ReloadResult {
  generation: number
  previous: number
  durationMs: number
  workers: WorkerStatus[]
}

export interface LogsTailResult {
  lines: string[]
  file: string
}

export interface MethodResults {
  status: StatusResult
  stop: StopResult
  reload: ReloadResult
  'logs.tail': LogsTailResult
}

export type ResultOf<M extends MethodName> = MethodResults[M]

/** Notifications the daemon pushes on a connection (e.g. while following logs). */
export interface Notifications {
  'logs.line': { line: string }
}

export function isMethodName(name: string): name is MethodName {
  return Object.hasOwn(paramSchemas, name)
}
