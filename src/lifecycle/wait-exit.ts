import { setTimeout as delay } from 'node:timers/promises'
import { isProcessAlive } from '../daemon/runtime/process-alive.js'

/** Waits until `pid` is gone; false when it is still there at the deadline. */
export async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (isProcessAlive(pid)) {
    if (Date.now() >= deadline) return false
    await delay(25)
  }
  return true
}

/** SIGKILL, then wait for the kernel to reap it. */
export async function killHard(pid: number): Promise<void> {
  try {
    process.kill(pid, 'SIGKILL')
  } catch {
    return
  }
  await waitForExit(pid, 5000)
}
