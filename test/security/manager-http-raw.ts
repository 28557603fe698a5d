import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http'

export interface RawAnswer {
  status: number
  headers: IncomingHttpHeaders
  body: string
  /** The parsed error code of a JSON error answer. */
  code: string | undefined
}

/** One HTTP request with exactly these headers (Host included, as a rebinding page's browser sends it). */
export async function rawRequest(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<RawAnswer> {
  const sent = body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) }
  const req = http.request({ host: '127.0.0.1', port, method, path, headers: sent, agent: false })
  req.end(body)
  const [res] = (await once(req, 'response')) as [IncomingMessage]
  const chunks: Buffer[] = []
  for await (const chunk of res) chunks.push(chunk as Buffer)
  return answerOf(res, Buffer.concat(chunks).toString('utf8'))
}

/** A WebSocket upgrade; resolves with the refusal, or status 101 (the socket closed at once) when it was taken. */
export async function rawUpgrade(port: number, path: string, headers: Record<string, string> = {}): Promise<RawAnswer> {
  const req = http.request({
    host: '127.0.0.1',
    port,
    path,
    agent: false,
    headers: {
      connection: 'Upgrade',
      upgrade: 'websocket',
      'sec-websocket-version': '13',
      'sec-websocket-key': randomBytes(16).toString('base64'),
      ...headers,
    },
  })
  req.end()
  return new Promise<RawAnswer>((resolve, reject) => {
    req.once('upgrade', (res: IncomingMessage, socket) => {
      socket.destroy()
      resolve(answerOf(res, ''))
    })
    req.once('response', (res: IncomingMessage) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.once('end', () => resolve(answerOf(res, Buffer.concat(chunks).toString('utf8'))))
    })
    req.once('error', reject)
  })
}

function answerOf(res: IncomingMessage, body: string): RawAnswer {
  let code: string | undefined
  try {
    code = (JSON.parse(body) as { error?: { code?: string } }).error?.code
  } catch {
    code = undefined
  }
  return { status: res.statusCode ?? 0, headers: res.headers, body, code }
}
