import { isMainThread } from 'node:worker_threads'

/**
 * Loaded before anything else in the daemon's process. Without a listener of
 * its own, SIGUSR1 makes Node open its inspector on 127.0.0.1:9229, where any
 * local user could run code as the daemon's user; SIGUSR2 would end the process
 * without a word, leaving its pid file and socket. A JS listener on each
 * replaces Node's default at once: until the daemon wires its actions (see
 * process-handlers.ts), the signals are ignored.
 *
 * The listeners stay for the life of the process: removing the last one would
 * hand the signal back to its default action.
 */
export type UserSignal = 'SIGUSR1' | 'SIGUSR2'

const actions = new Map<UserSignal, () => void>()

// Worker threads receive no signals: they have nothing to install.
if (isMainThread) {
  for (const signal of ['SIGUSR1', 'SIGUSR2'] as const) {
    process.on(signal, () => actions.get(signal)?.())
  }
}

/** What `signal` does from now on: one action per signal, the last one set wins. */
export function onUserSignal(signal: UserSignal, action: () => void): void {
  actions.set(signal, action)
}
