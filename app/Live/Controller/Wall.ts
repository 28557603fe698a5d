import type { App, Message } from 'mswoole'
import { historyPage, recallMessage, saveMessage, type StoredMessage } from '../Model/messages.js'
import type { LiveDB } from '../Model/schema.js'
import { callerCode, requireJoined, setJoined } from '../Server/guards.js'
import { userRoom, wallRoom } from '../Server/names.js'
import { readPaging } from '../Server/paging.js'
import { addPending, clearPending, dropPending, listPending, takePending, type PendingMessage } from '../Server/pending.js'
import { checkSay, escapeOnce } from '../Server/text.js'
import { sendUserCount } from '../Server/user-count.js'

/**
 * The big screens of a live event (tokens of type wall): they moderate the
 * users' messages, say things of their own, and recall what was shown.
 */
export default class Wall {
  /** Joins the event's wall room; the wall is told how many users are in. */
  async join(app: App, data: Message) {
    const code = callerCode(app, data, 'wall')
    if (code === undefined) return
    // As the seed did: the wall room is a close key, left when the connection closes. Room sends
    // reach it on every node of a cluster; only app.count would miss it, and walls are not counted.
    app.fdAddCloseKey(data.fd, wallRoom(code))
    await setJoined(app, data.fd, 'wall', true)
    app.sendSuccessMessage(data.fd, 'wallJoinSuccess', 'joined the room', { code })
    await sendUserCount(app, code, data.fd)
  }

  /** Leaves the wall room. */
  async out(app: App, data: Message) {
    const code = callerCode(app, data, 'wall')
    if (code === undefined) return
    app.fdRemoveCloseKey(data.fd, wallRoom(code))
    await setJoined(app, data.fd, 'wall', false)
    app.sendSuccessMessage(data.fd, 'wallOutSuccess', 'left the room')
  }

  /** Shows a message of the wall's own at once: stored, then sent to the users and the other walls. */
  async say(app: App, data: Message) {
    const code = callerCode(app, data, 'wall')
    if (code === undefined) return
    if (!(await requireJoined(app, data, 'wall'))) return
    const say = checkSay(data.say)
    if (!say.ok) return app.sendMessage(data.fd, 400, say.event, say.info)
    const message = await saveMessage(app.db<LiveDB>(), {
      code,
      kind: 'wall',
      userId: String(data.auth.id),
      nickname: escapeOnce(String(data.auth.nickname ?? '')),
      say: say.say,
      createdAt: Date.now(),
    })
    app.sendSuccessMessage(data.fd, 'wallSaySuccess', 'shown', message)
    app.sendSuccessMessage(userRoom(code), 'wallSayBroadcast', 'a wall said', message)
    app.sendSuccessMessage(wallRoom(code), 'wallSayBroadcast', 'a wall said', message, { except: [data.fd] })
  }

  /** Approves ({id, status: 1}) or rejects ({id, status: 0}) a pending user message. */
  async check(app: App, data: Message) {
    const code = callerCode(app, data, 'wall')
    if (code === undefined) return
    if (!(await requireJoined(app, data, 'wall'))) return
    const id = pendingIdOf(data.id)
    if (id === undefined) return app.sendMessage(data.fd, 400, 'badRequest', 'id must be a pending message id')
    if (isApproval(data.status)) {
      // Of two walls approving at once, only the one that removes it goes on.
      const pending = await takePending(app.store, code, id)
      if (pending === null) return app.sendMessage(data.fd, 404, 'messageNotFound', 'no such pending message')
      const message = await saveApproved(app, code, pending)
      const shown = { ...message, pendingId: pending.id }
      app.sendSuccessMessage(userRoom(code), 'userSayBroadcast', 'a message was approved', shown)
      app.sendSuccessMessage(wallRoom(code), 'userSayBroadcast', 'a message was approved', shown)
      app.log.info('live: message approved', { code, id: message.id, by: data.auth.id })
    } else if (!(await dropPending(app.store, code, id))) {
      return app.sendMessage(data.fd, 404, 'messageNotFound', 'no such pending message')
    }
    app.sendSuccessMessage(data.fd, 'wallCheckSuccess', 'moderated', id)
    // The other screens of the event drop it from their pending lists too.
    const approved = isApproval(data.status)
    app.sendSuccessMessage(wallRoom(code), 'userSayChecked', approved ? 'approved by another wall' : 'rejected by another wall', { id, approved }, { except: [data.fd] })
  }

  /** Withdraws a shown message ({id}): the row stays with status 0, every screen and phone drops it. */
  async recall(app: App, data: Message) {
    const code = callerCode(app, data, 'wall')
    if (code === undefined) return
    if (!(await requireJoined(app, data, 'wall'))) return
    const id = messageIdOf(data.id)
    if (id === undefined) return app.sendMessage(data.fd, 400, 'badRequest', 'id must be a message id')
    if (!(await recallMessage(app.db<LiveDB>(), code, id))) {
      return app.sendMessage(data.fd, 404, 'messageNotFound', 'no such message shown in this room')
    }
    app.sendSuccessMessage(userRoom(code), 'wallSayRecall', 'a message was recalled', id)
    app.sendSuccessMessage(wallRoom(code), 'wallSayRecall', 'a message was recalled', id)
    app.sendSuccessMessage(data.fd, 'wallRecallSuccess', 'recalled', id)
    app.log.info('live: message recalled', { code, id, by: data.auth.id })
  }

  /** Drops every pending message of the event. */
  async clean(app: App, data: Message) {
    const code = callerCode(app, data, 'wall')
    if (code === undefined) return
    if (!(await requireJoined(app, data, 'wall'))) return
    await clearPending(app.store, code)
    app.sendSuccessMessage(data.fd, 'wallCleanSuccess', 'pending messages cleared')
    app.sendSuccessMessage(wallRoom(code), 'userSayCleaned', 'another wall cleared the pending messages', undefined, { except: [data.fd] })
  }

  /** {type: 'wall'} (default): shown messages, newest first, paged; {type: 'user'}: pending messages, oldest first. */
  async history(app: App, data: Message) {
    const code = callerCode(app, data, 'wall')
    if (code === undefined) return
    const type = data.type ?? 'wall'
    if (type === 'wall') {
      const paging = readPaging(data)
      if (paging === undefined) return app.sendMessage(data.fd, 400, 'badRequest', 'page and count must be whole numbers from 1')
      const list = await historyPage(app.db<LiveDB>(), code, paging)
      app.sendSuccessMessage(data.fd, 'wallSayHistory', 'history', list)
    } else if (type === 'user') {
      app.sendSuccessMessage(data.fd, 'userSayHistory', 'pending messages', await listPending(app.store, code))
    } else {
      app.sendMessage(data.fd, 400, 'typeError', "type must be 'wall' or 'user'")
    }
  }
}

/** Stores an approved message; if that fails, it waits again for a wall instead of being lost. */
async function saveApproved(app: App, code: string, pending: PendingMessage): Promise<StoredMessage> {
  try {
    return await saveMessage(app.db<LiveDB>(), { code, kind: 'user', userId: pending.userId, nickname: pending.nickname, say: pending.say, createdAt: Date.now() })
  } catch (err) {
    await addPending(app.store, code, pending)
    throw err
  }
}

/** 1, true, "1" and "true" approve; anything else rejects, the safe side for moderation. */
function isApproval(status: unknown): boolean {
  return status === 1 || status === true || status === '1' || status === 'true'
}

function pendingIdOf(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined
}

function messageIdOf(value: unknown): number | undefined {
  const n = typeof value === 'string' && /^\d{1,15}$/.test(value) ? Number(value) : value
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 1 ? n : undefined
}
