import { MswError } from '../errors.js'

/** sun_path holds 108 bytes on Linux (104 on macOS), the terminating NUL included. */
const MAX_SOCKET_PATH_BYTES = process.platform === 'linux' ? 107 : 103

export function checkSocketPath(path: string): void {
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH_BYTES) {
    throw new MswError(
      'MSW_ERR_SOCKET_PATH_TOO_LONG',
      `control socket path is ${Buffer.byteLength(path)} bytes, over the system's ${MAX_SOCKET_PATH_BYTES}: ${path}; set "runtime" to a shorter folder`,
      { details: { path } },
    )
  }
}
