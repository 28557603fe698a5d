import type { App, Message } from 'mswoole'
import { historyPage, recallMessage, saveMessage } from '../Model/messages.js'
import type { LiveDB } from '../Model/schema.js'
import { send, type LiveEvent } from '../Server/frames.js'
import { callerCode, requireJoined, setJoined, wantsExtras } from '../Server/guards.js'
import { extrasRoom, userRoom, wallRoom } from '../Server/names.js'
import { readPaging } from '../Server/paging.js'
import { phpEmpty } from '../Server/php.js'
import { clearPending, dropPending, listPending, markApproved, pendingView, takePending, unmarkApproved } from '../Server/pending.js'
import { checkSay, escapeOnce } from '../Server/text.js'
import { sendUserCount } from '../Server/user-count.js'

/**
 * The big screens of a live event (tokens of type wall): they moderate the
 * users' messages, say things of their own, and recall what was shown. The
 * frames are the seed's App/Live/Controller/Wall.php. A wall that joins with
 * {"extras": true} also gets the port's own updates (userCount,
 * userSayChecked, userSayCleaned, wallCleanSuccess), which the seed never sent.
 */
export default class Wall {
  /** Joins the event's wall room. */
  async join(app: App, data: Message) {
    const code = callerCode(app, data, 'wall')
    if (code === undefined) return
    const extras = isTrue(data.extras)
    // As the seed did: the wall room is a close key, left when the connection closes. Room sends
    // reach it on every node of a cluster; only app.count would miss it, and walls are not counted.
    app.fdAddCloseKey(data.fd, wallRoom(code))
    if (extras) app.fdAddCloseKey(data.fd, extrasRoom(code))
    else app.fdRemoveCloseKey(data.fd, extrasRoom(code))
    await setJoined(app, data.fd, 'wall', true, extras)
    send(app, data.fd, 'wallJoinSuccess')
    if (extras) await sendUserCount(app, code, data.fd)
  }

  /** Leaves the wall room. */
  async out(app: App, data: Message) {
    const code = callerCode(app, data, 'wall')
    if (code === undefined) return
    app.fdRemoveCloseKey(data.fd, wallRoom(code))
    app.fdRemoveCloseKey(data.fd, extrasRoom(code))
    await setJoined(app, data.fd, 'wall', false)
    send(app, data.fd, 'wallOutSuccess')
  }

  /** Shows a message of the wall's own at once: stored, then sent to the users and the walls, the sender too. */
  async say(app: App, data: Message) {
    const code = callerCode(app, data, 'wall')
    if (code === undefined) return
    if (!(await requireJoined(app, data, 'wall'))) return
    const say = checkSay(data.say)
    if (!say.ok) return send(app, data.fd, say.event)
    const nickname = escapeOnce(String(data.auth.nickname ?? ''))
    let id: number
    try {
      id = await saveMessage(app.db<LiveDB>(), { code, userId: String(data.auth.id), nickname, say: say.say, createdAt: Date.now() })
    } catch (err) {
      app.log.error('live: storing a wall message failed', { code, error: err instanceof Error ? err.message : String(err) })
      return send(app, data.fd, 'insertDbError')
    }
    // The seed's fields in its order; the id as a string, as PDO's lastInsertId gave it.
    const message = { code, nickname, say: say.say, user_id: data.auth.id ?? null, id: String(id) }
    send(app, data.fd, 'wallSaySuccess', message)
    toEvent(app, code, 'wallSayBroadcast', message)
  }

  /** Approves ({id, status}: any status PHP does not call empty) or rejects (status 0, "", "0", false, absent) a pending message. */
  async check(app: App, data: Message) {
    const code = callerCode(app, data, 'wall')
    if (code === undefined) return
    if (!(await requireJoined(app, data, 'wall'))) return
    const id = idOf(data.id)
    if (id === undefined) return send(app, data.fd, 'badRequest')
    const approved = !phpEmpty(data.status)
    let moderated: boolean
    if (approved) {
      // Of two walls approving at once, only the one that removes it shows it.
      const pending = await takePending(app.store, code, id)
      moderated = pending !== null
      if (pending !== null) {
        await markApproved(app.store, code, id)
        toEvent(app, code, 'userSayBroadcast', pendingView(pending))
        app.log.info('live: message approved', { code, id, by: data.auth.id })
      }
    } else {
      moderated = await dropPending(app.store, code, id)
    }
    // As the seed: moderating an id that is no longer pending is not an error, the message is moderated.
    send(app, data.fd, 'wallCheckSuccess', data.id)
    // The other screens that asked for extras drop it from their pending lists too.
    if (moderated) send(app, extrasRoom(code), 'userSayChecked', { id, approved }, { except: [data.fd] })
  }

  /** Withdraws a shown message ({id}): a wall's (its row stays, status 0) or an approved user message. */
  async recall(app: App, data: Message) {
    const code = callerCode(app, data, 'wall')
    if (code === undefined) return
    if (!(await requireJoined(app, data, 'wall'))) return
    if (!(await recallShown(app, code, data.id))) return send(app, data.fd, 'wallRecallFail')
    // The id as the wall sent it, as the seed echoed it.
    toEvent(app, code, 'wallSayRecall', data.id)
    send(app, data.fd, 'wallRecallSuccess', data.id)
    app.log.info('live: message recalled', { code, id: data.id, by: data.auth.id })
  }

  /** Drops every pending message of the event. The seed answered nothing; a wall with extras gets wallCleanSuccess. */
  async clean(app: App, data: Message) {
    const code = callerCode(app, data, 'wall')
    if (code === undefined) return
    if (!(await requireJoined(app, data, 'wall'))) return
    await clearPending(app.store, code)
    if (await wantsExtras(app, data.fd)) send(app, data.fd, 'wallCleanSuccess')
    send(app, extrasRoom(code), 'userSayCleaned', undefined, { except: [data.fd] })
  }

  /** {type: 'wall'}: shown messages, newest first, paged; {type: 'user'}: pending messages by id, oldest first. */
  async history(app: App, data: Message) {
    const code = callerCode(app, data, 'wall')
    if (code === undefined) return
    if (data.type === 'wall') {
      send(app, data.fd, 'wallSayHistory', await historyPage(app.db<LiveDB>(), code, readPaging(data)))
    } else if (data.type === 'user') {
      send(app, data.fd, 'userSayHistory', await listPending(app.store, code))
    } else {
      send(app, data.fd, 'typeError')
    }
  }
}

/**
 * A send to the event's user room, which the walls get too: the seed's rooms
 * were one set, so its walls heard every user-room send. Its wall-room sends
 * (userSayNeedCheck) reached the phones as well; those now go to the walls only.
 */
function toEvent(app: App, code: string, event: LiveEvent, param: unknown): void {
  send(app, userRoom(code), event, param)
  send(app, wallRoom(code), event, param)
}

/** Recalls an approved user message by its pending id, or a wall's message by its row id; false when neither is shown. */
async function recallShown(app: App, code: string, value: unknown): Promise<boolean> {
  const id = idOf(value)
  if (id === undefined) return false
  if (await unmarkApproved(app.store, code, id)) return true
  const rowId = /^\d{1,15}$/.test(id) ? Number(id) : undefined
  return rowId !== undefined && rowId >= 1 && (await recallMessage(app.db<LiveDB>(), code, rowId))
}

/** An id as a hash field: a non-empty string, or a whole number as its digits. */
function idOf(value: unknown): string | undefined {
  if (typeof value === 'string' && value !== '') return value
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return String(value)
  return undefined
}

function isTrue(value: unknown): boolean {
  return value === true || value === 1 || value === '1' || value === 'true'
}
