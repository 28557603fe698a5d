import type { Server } from 'node:http'
import type { AddressInfo, Server as NetServer } from 'node:net'
import type { Duplex } from 'node:stream'
import { MswError, systemCode } from '../errors.js'
import type { Address } from '../contracts/control-api.js'

/** Binds a server and turns bind failures into catalogued errors that name the port. */
export function listen(server: NetServer, host: string, port: number, what: string): Promise<Address> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => {
      const code = systemCode(err)
      const where = `${host}:${port}`
      if (code === 'EADDRINUSE') {
        reject(
          new MswError('MSW_ERR_PORT_IN_USE', `${what} port ${where} is already in use`, { cause: err, details: { host, port, what } }),
        )
      } else {
        reject(
          new MswError('MSW_ERR_LISTEN', `cannot listen on ${what} port ${where}: ${err.message}`, {
            cause: err,
            details: { host, port, what },
          }),
        )
      }
    }
    server.once('error', onError)
    server.listen({ host, port, exclusive: true }, () => {
      server.off('error', onError)
      const address = server.address() as AddressInfo
      resolve({ host, port: address.port })
    })
  })
}

/** Closes a server and waits for it; idle keep-alive sockets are dropped so close can finish. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve()
    server.close(() => resolve())
    server.closeIdleConnections()
  })
}

/**
 * A socket listener that destroys the socket it is called on: on an upgraded
 * socket's 'error', or once a refusal is flushed. Not a closure: one made inside
 * an upgrade handler would keep the handler's scope, and with it the request,
 * its headers and `head`, alive for as long as the connection lasts.
 */
export function destroySocket(this: Duplex): void {
  this.destroy()
}
