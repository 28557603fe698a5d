import type { PostgresPool, PostgresPoolClient } from 'kysely'
import type { Pool } from 'pg'
import { MswError } from '../errors.js'
import { describeError } from './describe-error.js'

/** How long opening a connection may take before it fails (an unreachable host would otherwise wait for TCP). */
export const POSTGRES_CONNECT_TIMEOUT_MS = 10_000

const INT8_OID = 20
const INT8_ARRAY_OID = 1016

export interface PostgresPoolOptions {
  url: string
  size: number
  /** An idle connection failed (the server restarted, the network dropped it); the pool replaces it on next use. */
  onIdleError(err: Error): void
}

/** The URL without its password, for messages and logs. */
export function safeUrl(url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password !== '') parsed.password = '***'
    return parsed.toString()
  } catch {
    return '(an unparsable URL)'
  }
}

/**
 * A pg Pool for Kysely. bigint columns (count(*) too) come back as numbers,
 * set on this pool alone so nothing else in the process changes. A
 * connection that cannot be made fails with MSW_ERR_DB_UNAVAILABLE.
 */
export async function openPostgresPool(options: PostgresPoolOptions): Promise<PostgresPool> {
  // Loaded here, on first use, like the SQLite driver.
  const { default: pg } = await import('pg')
  const defaults = pg.types
  const pool: Pool = new pg.Pool({
    connectionString: options.url,
    max: options.size,
    connectionTimeoutMillis: POSTGRES_CONNECT_TIMEOUT_MS,
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
        if (format !== 'binary' && oid === INT8_OID) return (value: string) => Number(value)
        if (format !== 'binary' && oid === INT8_ARRAY_OID) {
          const parseArray = defaults.getTypeParser(INT8_ARRAY_OID as Parameters<typeof defaults.getTypeParser>[0], 'text') as (
            value: string,
          ) => unknown
          return (value: string) => numbersIn(parseArray(value))
        }
        return defaults.getTypeParser(oid, format)
      }) as typeof defaults.getTypeParser,
    },
  })
  pool.on('error', (err) => options.onIdleError(err))
  const where = safeUrl(options.url)
  return {
    async connect(): Promise<PostgresPoolClient> {
      try {
        return await pool.connect()
      } catch (err) {
        throw new MswError('MSW_ERR_DB_UNAVAILABLE', `cannot connect to PostgreSQL at ${where}: ${describeError(err)}`, {
          cause: err,
          details: { driver: 'postgres', url: where },
        })
      }
    },
    end: () => pool.end(),
  }
}

function numbersIn(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(numbersIn)
  return typeof value === 'string' ? Number(value) : value
}
