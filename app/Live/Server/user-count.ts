import type { App } from 'mswoole'
import { send } from './frames.js'
import { extrasRoom, userRoom } from './names.js'

/**
 * Tells the walls of an event that asked for the extras (or one such wall,
 * `to`) how many users are in it, on every node. The seed had no such frame,
 * so walls written for it never get one.
 */
export async function sendUserCount(app: App, code: string, to: number | string = extrasRoom(code)): Promise<void> {
  const count = await app.count(userRoom(code))
  // The code too: the seed's wallJoinSuccess carries no param, so this is where a screen learns its event.
  send(app, to, 'userCount', { code, count })
}
