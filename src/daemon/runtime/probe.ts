import { existsSync } from 'node:fs'
import { MswError } from '../../errors.js'
import { IpcClient } from '../../ipc/client.js'
import type { StatusResult } from '../../contracts/control-api.js'
import { looksLikeDaemon } from './process-alive.js'
import { readPidFile } from './pid-file.js'

export type ProbeResult =
  | { state: 'live'; status: StatusResult }
  | { state: 'unresponsive'; pid: number | undefined }
  | { state: 'stale'; pid: number | undefined }
  | { state: 'absent' }

/**
 * Asks the control socket who is there: a live daemon answers `status`; a
 * socket that refuses (or no socket, with a dead pid in the pid file) was left
 * by a daemon that died.
 */
export async function probeDaemon(socketPath: string, pidFile: string, timeoutMs = 2000): Promise<ProbeResult> {
  const pid = await readPidFile(pidFile)
  let client: IpcClient
  try {
    client = await IpcClient.connect(socketPath, timeoutMs)
  } catch (err) {
    if (err instanceof MswError && err.code === 'MSW_ERR_NOT_RUNNING') {
      if (pid !== undefined && looksLikeDaemon(pid) && !existsSync(socketPath)) return { state: 'unresponsive', pid }
      return existsSync(socketPath) || pid !== undefined ? { state: 'stale', pid } : { state: 'absent' }
    }
    return { state: 'unresponsive', pid }
  }
  try {
    return { state: 'live', status: await client.call('status', {}, { timeoutMs }) }
  } catch {
    return { state: 'unresponsive', pid }
  } finally {
    client.close()
  }
}
