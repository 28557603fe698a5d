import type { App, Message } from 'mswoole'
import { send } from './frames.js'

/**
 * Who may call what. Each check answers the client itself and tells the
 * action to stop: the seed sent its refusal and then ran the action anyway.
 */

export type LiveRole = 'wechatUser' | 'wall'

const REFUSALS = { wechatUser: 'mustBeWechatUser', wall: 'mustBeWall' } as const

/** Where the session records the event a connection joined, per role. */
const SESSION_FIELDS: Record<LiveRole, string> = { wechatUser: 'liveUser', wall: 'liveWall' }
const EXTRAS_FIELD = 'liveWallExtras'

/** The event code when the caller's token is of `role` and names an event; otherwise answers 403 or 999 and gives undefined. */
export function callerCode(app: App, data: Message, role: LiveRole): string | undefined {
  if (data.auth.type !== role) {
    send(app, data.fd, REFUSALS[role])
    return undefined
  }
  if (data.code === '') {
    send(app, data.fd, 'codeIsEmpty')
    return undefined
  }
  return data.code
}

export async function setJoined(app: App, fd: number, role: LiveRole, joined: boolean, extras = false): Promise<void> {
  await app.session.set(
    fd,
    role === 'wall' ? { [SESSION_FIELDS[role]]: joined, [EXTRAS_FIELD]: joined && extras } : { [SESSION_FIELDS[role]]: joined },
  )
}

export async function isJoined(app: App, fd: number, role: LiveRole): Promise<boolean> {
  return (await app.session.get(fd))[SESSION_FIELDS[role]] === true
}

/** True for a wall that joined with {"extras": true}. */
export async function wantsExtras(app: App, fd: number): Promise<boolean> {
  return (await app.session.get(fd))[EXTRAS_FIELD] === true
}

/** True when the caller joined as `role`; otherwise answers 403 notJoined. */
export async function requireJoined(app: App, data: Message, role: LiveRole): Promise<boolean> {
  if (await isJoined(app, data.fd, role)) return true
  send(app, data.fd, 'notJoined')
  return false
}
