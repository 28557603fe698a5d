import type { App, CloseEvent, Message } from 'mswoole'
import { historyPage } from '../Model/messages.js'
import type { LiveDB } from '../Model/schema.js'
import { send } from '../Server/frames.js'
import { callerCode, isJoined, requireJoined, setJoined } from '../Server/guards.js'
import { userRoom, wallRoom } from '../Server/names.js'
import { readPaging } from '../Server/paging.js'
import { addPending, countPending, newPendingId, pendingView, type PendingMessage } from '../Server/pending.js'
import { allowSay } from '../Server/rate-limit.js'
import { LIVE_SETTINGS } from '../Server/settings.js'
import { checkSay, escapeOnce } from '../Server/text.js'
import { sendUserCount } from '../Server/user-count.js'

/**
 * The phones of a live event (tokens of type wechatUser): they join the
 * event's user room, send messages that wait for a wall's approval, and read
 * the history. The frames are the seed's App/Live/Controller/User.php.
 */
export default class User {
  /** Joins the event; the walls that asked for extras hear the new number of users. */
  async join(app: App, data: Message) {
    const code = callerCode(app, data, 'wechatUser')
    if (code === undefined) return
    await app.join(data.fd, userRoom(code))
    // So that onClose below tells the walls when this phone goes away.
    app.fdAddController(data.fd, 'Live.User')
    await setJoined(app, data.fd, 'wechatUser', true)
    send(app, data.fd, 'userJoinSuccess')
    await sendUserCount(app, code)
  }

  /** Leaves the event. */
  async out(app: App, data: Message) {
    const code = callerCode(app, data, 'wechatUser')
    if (code === undefined) return
    const wasJoined = await isJoined(app, data.fd, 'wechatUser')
    await app.leave(data.fd, userRoom(code))
    app.fdRemoveController(data.fd, 'Live.User')
    await setJoined(app, data.fd, 'wechatUser', false)
    send(app, data.fd, 'userOutSuccess')
    if (wasJoined) await sendUserCount(app, code)
  }

  /** Queues a message for moderation: the walls get it ({id, nickname, say}), the users only once a wall approves it. */
  async say(app: App, data: Message) {
    const code = callerCode(app, data, 'wechatUser')
    if (code === undefined) return
    if (!(await requireJoined(app, data, 'wechatUser'))) return
    const say = checkSay(data.say)
    if (!say.ok) return send(app, data.fd, say.event)
    const userId = String(data.auth.id)
    if (!(await allowSay(app.store, code, userId))) return send(app, data.fd, 'tooManyMessages')
    // Each user is rate limited, but an event may have thousands of users: the queue itself is bounded too.
    if ((await countPending(app.store, code)) >= LIVE_SETTINGS.maxPending) return send(app, data.fd, 'tooManyPending')
    const now = Date.now()
    const message: PendingMessage = {
      id: newPendingId(now),
      nickname: escapeOnce(String(data.auth.nickname ?? '')),
      say: say.say,
      userId,
      createdAt: now,
    }
    await addPending(app.store, code, message)
    send(app, wallRoom(code), 'userSayNeedCheck', pendingView(message))
    send(app, data.fd, 'userSaySuccess', message.id)
  }

  /**
   * The event's shown messages, newest first: {page?, count?}. The seed meant
   * this (the wall's history of type wall) but never imported the model, so
   * it answered 500.
   */
  async history(app: App, data: Message) {
    const code = callerCode(app, data, 'wechatUser')
    if (code === undefined) return
    send(app, data.fd, 'wallSayHistory', await historyPage(app.db<LiveDB>(), code, readPaging(data)))
  }

  /** A joined phone went away; it has already left the user room, so the count is without it. */
  async onClose(app: App, data: CloseEvent) {
    await sendUserCount(app, data.code)
  }
}
