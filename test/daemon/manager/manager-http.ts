import type { StatusResult } from '../../../src/contracts/control-api.js'
import type { TestClient } from '../../helpers/client.js'

/** The manager port of a started daemon, and its key. */
export interface ManagerTarget {
  http: string
  ws: string
  key: string
}

export function managerOf(status: Pick<StatusResult, 'manager'>, key = ''): ManagerTarget {
  const { port } = status.manager
  return { http: `http://127.0.0.1:${port}`, ws: `ws://127.0.0.1:${port}`, key }
}

export interface Answer<T = Record<string, unknown>> {
  status: number
  headers: Headers
  /** The parsed body of a JSON answer. */
  body: T
  text: string
}

export interface ManagerRequest {
  method?: string
  /** A JSON body (sent as application/json) or raw text / bytes with the given content type. */
  json?: unknown
  body?: string | Buffer
  contentType?: string
  /** How to send the key: as a Bearer token (default), as X-Api-Key, or not at all. */
  auth?: 'bearer' | 'x-api-key' | 'none'
  key?: string
}

/** One request to the manager port; a JSON answer's body is parsed. */
export async function request<T = Record<string, unknown>>(
  target: ManagerTarget,
  path: string,
  options: ManagerRequest = {},
): Promise<Answer<T>> {
  const headers: Record<string, string> = {}
  const key = options.key ?? target.key
  const auth = options.auth ?? 'bearer'
  if (auth === 'bearer') headers.authorization = `Bearer ${key}`
  if (auth === 'x-api-key') headers['x-api-key'] = key
  let body: string | Buffer | undefined = options.body
  if (options.json !== undefined) {
    body = JSON.stringify(options.json)
    headers['content-type'] = 'application/json'
  }
  if (options.contentType !== undefined) headers['content-type'] = options.contentType
  const method = options.method ?? (body === undefined ? 'GET' : 'POST')
  const res = await fetch(target.http + path, { method, headers, body })
  const text = await res.text()
  const json = (res.headers.get('content-type') ?? '').startsWith('application/json')
  return { status: res.status, headers: res.headers, body: (json ? JSON.parse(text) : undefined) as T, text }
}

export interface ErrorBody {
  error: { code: string; message: string }
}

/** The next frame that is JSON passing `test` (JSON-RPC answers and notifications). */
export async function nextJson<T = Record<string, unknown>>(client: TestClient, test: (value: T) => boolean): Promise<T> {
  for (;;) {
    const frame = await client.nextFrame()
    let value: T
    try {
      value = JSON.parse(frame) as T
    } catch {
      continue
    }
    if (test(value)) return value
  }
}
