import type { App, Message } from 'mswoole'

/**
 * Who may call what. Each check answers the client itself and tells the
 * action to stop: the seed sent its 403 and then ran the action anyway.
 */

export type LiveRole = 'wechatUser' | 'wall'

const REFUSALS: Record<LiveRole, { event: string; info: string }> = {
  wechatUser: { event: 'mustBeWechatUser', info: 'for wechat users only' },
  wall: { event: 'mustBeWall', info: 'for walls only' },
}

/** Where the session records the event a connection joined, per role. */
const SESSION_FIELDS: Record<LiveRole, string> = { wechatUser: 'liveUser', wall: 'liveWall' }

/** The event code when the caller's token is of `role` and names an event; otherwise answers 403 or 400 and gives undefined. */
export function callerCode(app: App, data: Message, role: LiveRole): string | undefined {
  if (data.auth.type !== role) {
    app.sendMessage(data.fd, 403, REFUSALS[role].event, REFUSALS[role].info)
    return undefined
  }
  if (data.code === '') {
    app.sendMessage(data.fd, 400, 'codeIsEmpty', 'the token names no event code')
    return undefined
  }
  return data.code
}

export async function setJoined(app: App, fd: number, role: LiveRole, joined: boolean): Promise<void> {
  await app.session.set(fd, { [SESSION_FIELDS[role]]: joined })
}

export async function isJoined(app: App, fd: number, role: LiveRole): Promise<boolean> {
  return (await app.session.get(fd))[SESSION_FIELDS[role]] === true
}

/** True when the caller joined as `role`; otherwise answers 403 notJoined. */
export async function requireJoined(app: App, data: Message, role: LiveRole): Promise<boolean> {
  if (await isJoined(app, data.fd, role)) return true
  app.sendMessage(data.fd, 403, 'notJoined', `send live.${role === 'wall' ? 'wall' : 'user'}.join first`)
  return false
}
