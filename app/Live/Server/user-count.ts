import type { App } from 'mswoole'
import { userRoom, wallRoom } from './names.js'

/** Tells the walls of an event (or one wall, `to`) how many users are in it, on every node. */
export async function sendUserCount(app: App, code: string, to: number | string = wallRoom(code)): Promise<void> {
  const count = await app.count(userRoom(code))
  app.sendSuccessMessage(to, 'userCount', 'users in the room', { count })
}
