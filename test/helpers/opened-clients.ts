import { afterEach } from 'vitest'
import { mintToken, TestClient, type TokenFields } from './client.js'

/**
 * Clients of one test that are closed after it, for files that share a daemon:
 * `open(fields)` connects with a token of those fields to the port the getter
 * names (read at connect time, once the shared daemon runs).
 */
export function useOpenedClients(port: () => number): (fields: TokenFields, headers?: Record<string, string>) => Promise<TestClient> {
  const opened: TestClient[] = []
  afterEach(async () => {
    const clients = opened.splice(0)
    for (const c of clients) c.close()
    await Promise.all(clients.map((c) => c.closed()))
  })
  return async (fields, headers = {}) => {
    const client = await TestClient.connect(`ws://127.0.0.1:${port()}/?auth=${await mintToken(fields)}`, { headers })
    opened.push(client)
    return client
  }
}
