import { createServer } from 'node:net'
import { listen } from './listen.js'

export interface PortToCheck {
  host: string
  port: number
  /** "outside" or "manager", for the error. */
  what: string
}

/**
 * Binds each configured port for a moment and lets it go, so a port in use
 * fails a start with MSW_ERR_PORT_IN_USE before the slow part (loading the
 * application) rather than after it. Port 0 (any free port) needs no check.
 * The real bind can still lose a race for the port; it then fails the same way.
 */
export async function assertPortsFree(ports: readonly PortToCheck[]): Promise<void> {
  for (const { host, port, what } of ports) {
    if (port === 0) continue
    const probe = createServer()
    try {
      await listen(probe, host, port, what)
    } finally {
      await new Promise<void>((resolve) => (probe.listening ? probe.close(() => resolve()) : resolve()))
    }
  }
}
