import { invokeMethod, type CallContext, type Handlers } from '../../ipc/dispatch.js'

/**
 * The console of MSwoole-ws (`php console.php -s status|reload|stop|say -i …`):
 * it opens a WebSocket to the manager port, sends `{"method": …}` (no "jsonrpc"),
 * prints the first text frame it gets and closes. Each command answers with one
 * plain text frame and then, for reload and stop, does what it said.
 */

export const CONSOLE_COMMANDS = ['status', 'reload', 'stop', 'say'] as const

export interface ConsoleReply {
  text: string
  /** What runs once the reply is sent (reload, stop). */
  after?: () => Promise<unknown>
}

export const INVALID_COMMAND = `not a valid command: send {"method":"${CONSOLE_COMMANDS.join('|')}"} or a JSON-RPC 2.0 request`

/** What the seed's broadcast said: `say` reaches every client as this envelope event. */
const SAY_EVENT = 'serverBroadcast'
const SAY_INFO = 'server broadcast'

export async function answerConsole(message: { method: string; say?: unknown }, ctx: CallContext, handlers: Handlers): Promise<ConsoleReply> {
  switch (message.method) {
    case 'status': {
      const status = await invokeMethod('status', {}, ctx, handlers)
      return {
        text: [
          `connections: ${status.connections}`,
          `master pid: ${status.pid}`,
          `memory: ${(status.memory.rss / 1024 / 1024).toFixed(2)} MB`,
          `workers: ${status.workers.length} (generation ${status.generation})`,
          `uptime: ${status.uptime} s`,
        ].join('\n'),
      }
    }
    case 'reload':
      return { text: 'reloading the workers', after: () => invokeMethod('reload', {}, ctx, handlers) }
    case 'stop':
      return { text: 'stopping the server', after: () => invokeMethod('stop', {}, ctx, handlers) }
    case 'say': {
      if (message.say === undefined) return { text: 'say needs a "say" field: {"method":"say","say":"…"}' }
      const params = { all: true, event: SAY_EVENT, info: SAY_INFO, param: message.say }
      const { delivered } = await invokeMethod('broadcast', params, ctx, handlers)
      return { text: `said to ${delivered} connection${delivered === 1 ? '' : 's'}` }
    }
    default:
      return { text: `unknown command "${message.method}"; valid commands: ${CONSOLE_COMMANDS.join(', ')}` }
  }
}
