import type { App, CloseEvent, Message } from 'mswoole'
import { historyPage } from '../Model/messages.js'
import type { LiveDB } from '../Model/schema.js'
import { callerCode, isJoined, requireJoined, setJoined } from '../Server/guards.js'
import { userRoom, wallRoom } from '../Server/names.js'
import { readPaging } from '../Server/paging.js'
import { addPending, countPending, newPendingId, type PendingMessage } from '../Server/pending.js'
import { allowSay } from '../Server/rate-limit.js'
import { LIVE_SETTINGS } from '../Server/settings.js'
import { checkSay, escapeOnce } from '../Server/text.js'
import { sendUserCount } from '../Server/user-count.js'

/**
 * The phones of a live event (tokens of type wechatUser): they join the
 * event's user room, send messages that wait for a wall's approval, and read
 * the approved history.
 */
export default class User {
  /** Joins the event; the walls hear the new number of users. */
  async join(app: App, data: Message) {
    const code = callerCode(app, data, 'wechatUser')
    if (code === undefined) return
    await app.join(data.fd, userRoom(code))
    // So that onClose below tells the walls when this phone goes away.
    app.fdAddController(data.fd, 'Live.User')
    await setJoined(app, data.fd, 'wechatUser', true)
    app.sendSuccessMessage(data.fd, 'userJoinSuccess', 'joined the room', { code })
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
    app.sendSuccessMessage(data.fd, 'userOutSuccess', 'left the room')
    if (wasJoined) await sendUserCount(app, code)
  }

  /** Queues a message for moderation: the walls see it, the users only once a wall approves it. */
  async say(app: App, data: Message) {
    const code = callerCode(app, data, 'wechatUser')
    if (code === undefined) return
    if (!(await requireJoined(app, data, 'wechatUser'))) return
    const say = checkSay(data.say)
    if (!say.ok) return app.sendMessage(data.fd, 400, say.event, say.info)
    const userId = String(data.auth.id)
    if (!(await allowSay(app.store, code, userId))) {
      const { sayRateLimit, sayRateWindowSeconds } = LIVE_SETTINGS
      return app.sendMessage(data.fd, 429, 'tooManyMessages', `at most ${sayRateLimit} messages every ${sayRateWindowSeconds} s`)
    }
    // Each user is rate limited, but an event may have thousands of users: the queue itself is bounded too.
    if ((await countPending(app.store, code)) >= LIVE_SETTINGS.maxPending) {
      return app.sendMessage(data.fd, 429, 'tooManyPending', 'the walls have too many messages waiting; try again later')
    }
    const now = Date.now()
    const message: PendingMessage = {
      id: newPendingId(now),
      userId,
      nickname: escapeOnce(String(data.auth.nickname ?? '')),
      say: say.say,
      createdAt: now,
    }
    await addPending(app.store, code, message)
    app.sendSuccessMessage(wallRoom(code), 'userSayNeedCheck', 'a message waits for approval', message)
    app.sendSuccessMessage(data.fd, 'userSaySuccess', 'sent; it shows once a wall approves it', message.id)
  }

  /** The event's shown messages, newest first: {page?, count?}. */
  async history(app: App, data: Message) {
    const code = callerCode(app, data, 'wechatUser')
    if (code === undefined) return
    const paging = readPaging(data)
    if (paging === undefined) return app.sendMessage(data.fd, 400, 'badRequest', 'page and count must be whole numbers from 1')
    const list = await historyPage(app.db<LiveDB>(), code, paging)
    app.sendSuccessMessage(data.fd, 'wallSayHistory', 'history', list)
  }

  /** A joined phone went away; it has already left the user room, so the count is without it. */
  async onClose(app: App, data: CloseEvent) {
    await sendUserCount(app, data.code)
  }
}
