import type { CloseEvent, Message } from '../app-api/types.js'
import type { ClientFrame } from '../contracts/thread-channel.js'
import { escapeStrings } from '../protocol/escape-html.js'
import type { WorkerApp, PostToMaster } from './app.js'
import { callMethod, type ControllerIndex } from './controller-loader.js'
import { STATUS } from '../protocol/envelope.js'
import { wireTexts } from '../protocol/wire-format.js'
import { FdQueue } from './fd-queue.js'
import { parseMethod } from './method-name.js'
import { readMessage } from './read-message.js'
import { senderOf } from './sender.js'

/**
 * Turns the master's `message` and `close` into controller calls: finds the
 * action a method names, answers the seed's 404/405/500 envelopes, and reports `done` for
 * every message whatever the controller did.
 */

export interface DispatcherOptions {
  controllers: ControllerIndex
  app: WorkerApp
  post: PostToMaster
  /** setting.ack and setting.escape_html; both on when absent, as in the default configuration. */
  client?: { ack: boolean; escapeHtml: boolean }
}

export class Dispatcher {
  readonly #controllers: ControllerIndex
  readonly #app: WorkerApp
  readonly #post: PostToMaster
  readonly #queue = new FdQueue()
  readonly #client: { ack: boolean; escapeHtml: boolean }

  constructor(options: DispatcherOptions) {
    this.#controllers = options.controllers
    this.#app = options.app
    this.#post = options.post
    this.#client = options.client ?? { ack: true, escapeHtml: true }
  }

  /**
   * A client's text frame: refused with a frame that says why, or
   * acknowledged (setting.ack) and handled as a message. The ack and the
   * refusal go out at once, before the replies of the fd's earlier messages
   * still running, as the seed's ack did.
   */
  frame(seq: number, frame: ClientFrame): Promise<void> {
    const read = readMessage(frame.text)
    if (read.kind === 'reject') {
      this.#post({ t: 'send', to: 'fd', target: frame.fd, frame: read.frame })
      this.#post({ t: 'done', seq })
      return Promise.resolve()
    }
    if (this.#client.ack) this.#post({ t: 'ack', fd: frame.fd })
    const fields = this.#client.escapeHtml ? (escapeStrings(read.fields) as Record<string, unknown>) : read.fields
    // `method` goes to the controller as sent: a valid method name is [A-Za-z0-9_.] only, which escaping never changes.
    return this.message(seq, {
      ...fields,
      ...(typeof read.fields.method === 'string' ? { method: read.fields.method } : {}),
      fd: frame.fd,
      ...senderOf(readSender(frame.sender), fields),
    })
  }

  /** Handles a client message after the fd's earlier ones; resolves once `done` is posted. */
  message(seq: number, data: Message): Promise<void> {
    return this.#queue.run(data.fd, () => this.#handle(seq, data))
  }

  /** Runs `onClose` once per registered controller, after the fd's pending messages, then posts `done`. Never rejects. */
  close(seq: number, controllers: readonly string[], event: CloseEvent): Promise<void> {
    return this.#queue.run(event.fd, async () => {
      try {
        await this.#runOnClose(controllers, event)
      } finally {
        this.#post({ t: 'done', seq })
      }
    })
  }

  /** The old generation's last act in a reload: every controller's `onReload`, then `done`. Never rejects. */
  async retire(seq: number): Promise<void> {
    try {
      await this.reload()
    } finally {
      this.#post({ t: 'done', seq })
    }
  }

  /** Runs every controller's `onReload`. Never rejects. */
  async reload(): Promise<void> {
    for (const controller of this.#controllers.controllers) {
      if (!controller.hooks.has('onReload')) continue
      try {
        await callMethod(controller, 'onReload', [this.#app])
      } catch (err) {
        this.#app.log.error('onReload failed', { controller: controller.name, ...errorFields(err) })
      }
    }
  }

  async #handle(seq: number, data: Message): Promise<void> {
    let where = ''
    try {
      const named = parseMethod(data.method)
      if (!named.valid) {
        this.#app.log.debug('invalid method', { fd: data.fd, reason: named.reason })
        return this.#reply(data.fd, STATUS.controllerNotFound, 'controllerNotFound', wireTexts().controllerNotFound)
      }
      const controller = this.#controllers.find(named.module, named.controller)
      if (controller === undefined)
        return this.#reply(data.fd, STATUS.controllerNotFound, 'controllerNotFound', wireTexts().controllerNotFound)

      const method = controller.actions.get(named.action) ?? (controller.hooks.has('onMessage') ? 'onMessage' : undefined)
      if (method === undefined) return this.#reply(data.fd, STATUS.methodNotFound, 'methodNotFound', wireTexts().methodNotFound)
      where = `${controller.name}.${method}`
      await callMethod(controller, method, [this.#app, data])
    } catch (err) {
      this.#app.log.error('controller error', {
        ...(where ? { controller: where } : {}),
        method: data.method,
        fd: data.fd,
        seq,
        ...errorFields(err),
      })
      // What the client hears; the details go to the log only.
      this.#reply(data.fd, STATUS.controllerError, 'controllerError', wireTexts().controllerError)
    } finally {
      this.#post({ t: 'done', seq })
    }
  }

  async #runOnClose(names: readonly string[], event: CloseEvent): Promise<void> {
    const seen = new Set<string>()
    for (const name of names) {
      const key = String(name).toLowerCase()
      if (seen.has(key)) continue
      seen.add(key)
      const controller = this.#controllers.findByName(key)
      if (controller === undefined || !controller.hooks.has('onClose')) {
        this.#app.log.warn('fdAddController named a controller without onClose', { controller: name, fd: event.fd })
        continue
      }
      try {
        await callMethod(controller, 'onClose', [this.#app, event])
      } catch (err) {
        this.#app.log.error('onClose failed', { controller: controller.name, fd: event.fd, ...errorFields(err) })
      }
    }
  }

  #reply(fd: number, status: number, event: string, info: string): void {
    this.#app.sendMessage(fd, status, event, info)
  }
}

export function errorFields(err: unknown): { error: string; stack?: string } {
  if (err instanceof Error) return err.stack === undefined ? { error: err.message } : { error: err.message, stack: err.stack }
  return { error: String(err) }
}

/** The master's `[auth or null, code]` of the connection, read afresh for each message: a controller may change what it gets. */
function readSender(sender: string): { auth: Message['auth'] | null; code: string } {
  const [auth, code] = JSON.parse(sender) as [Message['auth'] | null, string]
  return { auth, code }
}
