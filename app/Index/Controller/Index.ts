import type { App, CloseEvent, Message } from 'mswoole'

/**
 * The default controller: a client message with no `method`, or with
 * "index", "index.index" or "index.index.index", lands in `index` below.
 *
 * Every public method is an action a client can call by name (case-insensitive).
 * Keep helpers out of reach by naming them `_helper` or `#helper`; `onMessage`,
 * `onClose` and `onReload` are hooks, never actions.
 */
export default class Index {
  /** The seed's sample: {"status":200,"event":"success","info":"执行完成"} ("done"). */
  index(app: App, data: Message) {
    app.sendSuccessMessage(data.fd, 'success', '执行完成')
  }

  /** Sends back what it received (with the fd, auth and code the server added). */
  echo(app: App, data: Message) {
    app.sendSuccessMessage(data.fd, 'echo', 'echo', data)
  }

  /** Throws: the client gets {"status":500,"event":"controllerError",…}, the log gets the stack. */
  fail() {
    throw new Error('fail was called')
  }

  /** Answers after `data.ms` milliseconds; later messages of the same connection wait their turn. */
  async slow(app: App, data: Message) {
    const ms = Math.min(Math.max(Number(data.ms) || 0, 0), 10_000)
    await new Promise((resolve) => setTimeout(resolve, ms))
    app.sendSuccessMessage(data.fd, 'slow', `waited ${ms} ms`, { ms })
  }

  /** Joins the room `data.room` and asks for `onClose` when this connection goes away. */
  async join(app: App, data: Message) {
    const room = String(data.room ?? '')
    if (room === '') return app.sendMessage(data.fd, 400, 'badRequest', 'room is required')
    await app.join(data.fd, room)
    app.fdAddController(data.fd, 'Index.Index')
    const count = await app.count(room)
    app.sendSuccessMessage(data.fd, 'joined', `joined ${room}`, { room, count })
  }

  /**
   * Sends `data.text` to everyone in `data.room` except the sender.
   * A target of digits only is an fd, so give rooms names with a letter in them.
   */
  say(app: App, data: Message) {
    app.sendSuccessMessage(String(data.room), 'said', String(data.text ?? ''), { fd: data.fd }, { except: [data.fd] })
  }

  /** Stores `data.values` in the connection's session, then reads the session back. */
  async session(app: App, data: Message) {
    const values = typeof data.values === 'object' && data.values !== null ? (data.values as Record<string, unknown>) : {}
    await app.session.set(data.fd, values)
    app.sendSuccessMessage(data.fd, 'session', 'session', await app.session.get(data.fd))
  }

  /** Counts visits per room code in the key-value store. */
  async visits(app: App, data: Message) {
    const visits = await app.store.incr(`visits:${data.code}`)
    app.sendSuccessMessage(data.fd, 'visits', `visit ${visits}`, { visits })
  }

  /** Runs when a connection that called `join` closes (it has already left its rooms). */
  onClose(app: App, data: CloseEvent) {
    app.log.info('index: connection closed', { fd: data.fd, code: data.code, closeCode: data.closeCode })
  }
}
