import http from 'node:http'

/** One HTTP request with exactly the method, headers and bytes given: no defaults added (fetch adds a content type to string bodies). */
export interface RawRequest {
  method: string
  path: string
  headers?: Record<string, string>
  body?: Uint8Array
}

export interface RawResponse {
  status: number
  headers: http.IncomingHttpHeaders
  text: string
}

// A private agent without keep-alive, so a request the server cuts cannot poison the next one.
const agent = new http.Agent({ keepAlive: false })

export function rawHttp(port: number, request: RawRequest): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...request.headers }
    if (request.body !== undefined) headers['content-length'] = request.body.length
    let answered = false
    const req = http.request({ host: '127.0.0.1', port, method: request.method, path: request.path, headers, agent }, (res) => {
      answered = true
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }))
      res.on('error', reject)
    })
    // A server may answer before the body is all sent (a 413) and close: the answer is what counts, not the failed write after it.
    req.on('error', (err) => {
      if (!answered) reject(err)
    })
    req.end(request.body === undefined ? undefined : Buffer.from(request.body))
  })
}
