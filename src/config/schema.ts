/**
 * The schemas of config/app.json, cache.json and db.json. Objects are strict so a
 * misspelt key fails instead of being silently ignored; every key has a default so
 * a partial file works. Leaf messages read as "expected …" because the loader
 * appends ", got <value>" and the file and key.
 */
import * as z from 'zod'
import { LOG_LEVELS } from './log-levels.js'
import { parseOriginPattern } from './origin-pattern.js'

const MiB = 1024 * 1024

function int(min: number, max?: number) {
  const error = max === undefined ? `expected an integer >= ${min}` : `expected an integer from ${min} to ${max}`
  const base = z.int({ error }).min(min, { error })
  return max === undefined ? base : base.max(max, { error })
}

const str = () => z.string({ error: 'expected a string' })
const bool = () => z.boolean({ error: 'expected true or false' })

function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, { error: `expected one of ${values.map((v) => JSON.stringify(v)).join(', ')}` })
}

// Only the wrong-type case gets our wording; unknown keys are worded by the loader.
const objectError = (issue: { code?: string }) => (issue.code === 'invalid_type' ? 'expected an object' : undefined)

/** A strict section whose missing keys (or missing self) take their defaults. */
function section<S extends z.core.$ZodLooseShape>(shape: S) {
  // prefault, not default: the {} is parsed, so the inner defaults apply. Every key
  // has a default, so {} is a valid input; the cast is only because S is generic here.
  return z.strictObject(shape, { error: objectError }).prefault({} as never)
}

/** The seed's token key: the default, so its clients work as they are, and public. */
export const SEED_AUTH_KEY = 'marico-websocket'

/** A list of origins ("https://example.com", "https://*.example.com"), empty by default. */
const origins = () =>
  z
    .array(
      str().refine((entry) => parseOriginPattern(entry) !== undefined, {
        error: 'expected an origin such as "https://example.com" or "https://*.example.com"',
      }),
      { error: 'expected an array of origins' },
    )
    .default([])

export const AppSchema = z.strictObject(
  {
    outside: section({
      host: str().default('0.0.0.0'),
      port: int(0, 65535).default(20000), // 0 = pick a free port
      // Peers whose X-Real-IP / X-Forwarded-For are believed (nginx in front).
      trusted_proxies: z.array(str(), { error: 'expected an array of IP addresses' }).default([]),
      // Origins whose pages may connect ("https://example.com", "https://*.example.com"); [] = any.
      // An upgrade without an Origin header (not a browser) is always let through.
      allowed_origins: origins(),
      max_connections_per_ip: int(0).default(0), // open sockets per client address; 0 = no limit
      connections_per_second_per_ip: int(0).default(0), // new upgrades per second per client address (also the burst); 0 = no limit
      max_header_size: int(1024, 1024 * 1024).default(16384), // bytes of request line and headers; over it 431
      max_url_length: int(16, 1024 * 1024).default(4096), // bytes of the upgrade's path and query (the token); over it 414
      header_timeout: int(1, 60).default(10), // seconds a connection may take to send its request line and headers; then it is closed
      accept_unmasked_frames: bool().default(false), // read client frames sent without a mask (Swoole's client); off = closed with 1002, as RFC 6455 asks
    }),
    manager: section({
      host: str().default('127.0.0.1'),
      port: int(0, 65535).default(20001),
      header_timeout: int(1, 60).default(10), // seconds a connection may take to send its request line and headers; then it is closed
      // Absent: a random key, kept in <runtime>/manager.key (0600). "" (explicit): no key, loopback hosts only.
      key: str().optional(),
      // Host header names or addresses accepted besides loopback and manager.host (DNS rebinding guard).
      allowed_hosts: z.array(str(), { error: 'expected an array of host names or addresses' }).default([]),
      // Origins whose pages may call the manager ("https://admin.example.com"); [] = no browser page may.
      allowed_origins: origins(),
      max_key_failures: int(0).default(10), // wrong keys per client address within 10 s before it gets 429; 0 = no limit
      // The web dashboard at /dashboard. Absent: "on" with a manager key, "readonly" when the key is "" (open mode).
      dashboard: oneOf(['off', 'readonly', 'on']).optional(),
    }),
    setting: section({
      worker_num: int(1, 64).default(2),
      heartbeat_idle_time: int(1).default(60), // seconds
      heartbeat_check_interval: int(1).default(10), // seconds
      max_message_size: int(1, 16 * MiB).default(65536), // bytes
      max_wait_time: int(0).default(30), // seconds
      ack: bool().default(true), // answer each dispatched message with receiveMessage first, as the seed did
      escape_html: bool().default(true), // HTML-escape client strings before dispatch
      // "seed": MSwoole-ws's texts and PHP json_encode's \uXXXX JSON, byte for byte; "modern": English texts, plain UTF-8 JSON.
      wire_format: oneOf(['seed', 'modern']).default('seed'),
      max_messages_per_second: int(1).default(50), // per connection
      max_buffered_bytes: int(1024).default(4 * MiB), // per connection; a client that stops reading is cut past this
      max_execution_time: int(0).default(30), // seconds a handler may run before its worker is replaced; 0 = no limit
      worker_max_memory: int(16).default(512), // MB of V8 old space per worker; past it the worker is replaced
      worker_start_timeout: int(1).default(30), // seconds a new worker may take to load the application
      reload_standby: bool().default(true), // keep the next generation's threads booted and waiting, so a reload only loads the application
      node_timeout: int(2, 3600).default(10), // seconds after which the cluster forgets a node that stopped answering (Redis store)
    }),
    // Per room, the last messages sent to it, for clients that reconnect (@recover); off while size is 0.
    history: section({
      size: int(0, 100_000).default(0), // messages kept per room; 0 = off, and envelopes carry no seq
      ttl: int(1, 7 * 86_400).default(300), // seconds a message is kept
    }),
    // Rooms whose members hear presenceJoin when a uid's first connection enters and presenceLeave when its last goes.
    presence: section({
      // Room names; "*" stands for any run of characters ("live:*", "*"). [] = off, and the wire is the seed's.
      rooms: z
        .array(str().min(1, { error: 'expected a room name or pattern such as "live:*"' }), { error: 'expected an array of room names' })
        .default([]),
    }),
    auth: section({
      enabled: bool().default(true),
      codec: oneOf(['mswoole', 'jwt']).default('mswoole'),
      key: str().default(SEED_AUTH_KEY),
      max_age: int(0).default(0), // seconds, 0 = tokens never expire
    }),
    log: section({
      level: oneOf(LOG_LEVELS).default('info'),
      max_size: int(4096).default(10 * MiB), // bytes
      max_files: int(1, 100).default(5),
    }),
    app: str().default('./app'),
    runtime: str().default('./runtime'),
    node_id: str()
      .regex(/^[A-Za-z0-9._-]+$/, { error: 'expected a non-empty name of letters, digits, ".", "_" or "-"' })
      .optional(),
  },
  { error: objectError },
)

const driverError = (values: string[]) => (issue: { code?: string }) =>
  issue.code === 'invalid_union' ? `expected driver ${values.map((v) => JSON.stringify(v)).join(' or ')}` : objectError(issue)

export const CacheSchema = z.discriminatedUnion(
  'driver',
  [
    z.strictObject({ driver: z.literal('memory').default('memory'), prefix: str().default('mswoole:') }),
    z
      .strictObject({
        driver: z.literal('redis'),
        // One server; or a Redis Cluster's startup nodes; or options.sentinels (with options.name) for Sentinel.
        url: str().optional(),
        cluster: z.array(str(), { error: 'expected an array of redis:// URLs' }).min(1, { error: 'expected at least one node' }).optional(),
        prefix: str().default('mswoole:'),
        // ioredis options, passed through untouched.
        options: z.record(z.string(), z.unknown(), { error: 'expected an object' }).optional(),
      })
      .refine((c) => [c.url !== undefined, c.cluster !== undefined, Array.isArray(c.options?.sentinels)].filter(Boolean).length === 1, {
        error: 'expected exactly one of url, cluster or options.sentinels',
        path: ['url'],
      }),
  ],
  { error: driverError(['memory', 'redis']) },
)

/** PostgreSQL connections per worker thread when db.json gives no pool_size. */
export const DEFAULT_POOL_SIZE = 10

export const DbSchema = z.discriminatedUnion(
  'driver',
  [
    z.strictObject({ driver: z.literal('sqlite').default('sqlite'), file: str().default('./runtime/mswoole.db') }),
    z.strictObject({
      driver: z.literal('postgres'),
      url: str(),
      // Connections per worker thread; DEFAULT_POOL_SIZE when absent.
      pool_size: int(1, 100).optional(),
    }),
  ],
  { error: driverError(['sqlite', 'postgres']) },
)

export type AppConfig = z.infer<typeof AppSchema>
export type CacheConfig = z.infer<typeof CacheSchema>
export type DbConfig = z.infer<typeof DbSchema>

/** Strips optional/default/prefault wrappers to reach the schema that checks the value. */
export function unwrap(schema: z.core.$ZodType): z.core.$ZodType {
  let s = schema
  while ('innerType' in s._zod.def) s = (s._zod.def as unknown as { innerType: z.core.$ZodType }).innerType
  return s
}

/** The keys an object schema accepts at `path` (through wrappers), if it is a plain object there. */
export function keysAt(schema: z.core.$ZodType, path: readonly PropertyKey[]): string[] | undefined {
  let s = unwrap(schema)
  for (const key of path) {
    if (!(s instanceof z.ZodObject)) return undefined
    const next = (s.shape as Record<PropertyKey, z.core.$ZodType | undefined>)[key]
    if (!next) return undefined
    s = unwrap(next)
  }
  return s instanceof z.ZodObject ? Object.keys(s.shape) : undefined
}
