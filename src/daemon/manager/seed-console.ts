import { invokeMethod, type CallContext, type Handlers } from '../../ipc/dispatch.js'
import { isRecord } from '../../ipc/jsonrpc.js'
import { phpJsonEncode } from '../../protocol/php-json.js'
import { wireFormat, type WireFormat } from '../../protocol/wire-format.js'

/**
 * The console of MSwoole-ws (`php console.php -s status|reload|stop|say -i …`):
 * it opens a WebSocket to the manager port, sends `{"method": …}` (no
 * "jsonrpc"), prints every frame it gets and exits when the server closes the
 * connection. MSwoole/Manager.php answered each message with one frame, plain
 * text (say: a JSON envelope), then closed; stop and reload then did what
 * they said. In the "seed" wire format these are its texts byte for byte.
 */

export const CONSOLE_COMMANDS = ['status', 'reload', 'stop', 'say'] as const

export interface ConsoleReply {
  /** The one frame the console gets, before the connection is closed. */
  text: string
  /** What runs once the reply is sent and the connection closed (reload, stop). */
  after?: () => Promise<unknown>
}

export interface ConsoleContext {
  ctx: CallContext
  handlers: Handlers
  /** Open WebSockets of the manager port, the console's own included. */
  managerSockets: number
}

interface ConsoleTexts {
  malformed: string
  unknown(method: unknown): string
  reload: string
  stop: string
  sayInfo: string
  status(connections: number, pid: number, memory: string): string
  json(value: unknown): string
}

const TEXTS: Record<WireFormat, ConsoleTexts> = {
  // MSwoole/Manager.php's strings; status's lines each end with PHP_EOL, the last one too.
  seed: {
    malformed: '格式不符合规范',
    unknown: () => '指令无效',
    reload: '服务即将重启',
    stop: '服务即将关闭',
    sayInfo: '收到服务广播内容',
    status: (connections, pid, memory) => `当前服务器共有 ${connections} 个连接\n主进程PID: ${pid}\n内存占用量: ${memory}\n`,
    json: phpJsonEncode,
  },
  modern: {
    malformed: `not a valid command: send {"method":"${CONSOLE_COMMANDS.join('|')}"} or a JSON-RPC 2.0 request`,
    unknown: (method) => `unknown command ${JSON.stringify(method)}; valid commands: ${CONSOLE_COMMANDS.join(', ')}`,
    reload: 'reloading the workers',
    stop: 'stopping the server',
    sayInfo: 'server broadcast',
    status: (connections, pid, memory) => `connections: ${connections}\nmaster pid: ${pid}\nmemory: ${memory}\n`,
    json: (value) => JSON.stringify(value),
  },
}

/** The seed's broadcast event; the same in both formats. */
const SAY_EVENT = 'serverBroadcast'

/**
 * The reply to a message that is not JSON-RPC (`message` is the parsed JSON,
 * undefined when it did not parse). As Manager.php: no object or no method
 * (null counts as none) is malformed; a method that is not one of the four
 * strings is invalid (PHP's loose `switch` took 0 and true for "reload": not kept).
 */
export async function answerConsole(message: unknown, context: ConsoleContext, format: WireFormat = wireFormat()): Promise<ConsoleReply> {
  const texts = TEXTS[format]
  if (!isRecord(message) || message.method === undefined || message.method === null) {
    return { text: texts.malformed }
  }
  const { ctx, handlers } = context
  switch (message.method) {
    case 'status': {
      const status = await invokeMethod('status', {}, ctx, handlers)
      // Swoole's $server->connections held every connection of both ports, the console's own too.
      return { text: texts.status(status.connections + context.managerSockets, status.pid, megabytes(status.memory.heapUsed)) }
    }
    case 'reload':
      return { text: texts.reload, after: () => invokeMethod('reload', {}, ctx, handlers) }
    case 'stop':
      return { text: texts.stop, after: () => invokeMethod('stop', {}, ctx, handlers) }
    case 'say': {
      // The seed pushed this to the console once per connection instead of to the clients:
      // here each client gets it once, and the console once, as what was said.
      const param = message.say ?? null
      await invokeMethod('broadcast', { all: true, event: SAY_EVENT, info: texts.sayInfo, param }, ctx, handlers)
      return { text: texts.json({ status: 200, event: SAY_EVENT, info: texts.sayInfo, param }) }
    }
    default:
      return { text: texts.unknown(message.method) }
  }
}

/**
 * Manager.php's getMemoryUsage(): `round(memory_get_usage()/1024/1024, 2).'MB'`.
 * memory_get_usage() is what PHP's allocator has handed out to the script, so
 * the closest in Node is V8's heapUsed (not the process's rss).
 */
export function megabytes(bytes: number): string {
  return `${phpRound(bytes / 1024 / 1024, 2)}MB`
}

/**
 * PHP 7's round(): pre-rounded to 15 significant digits, then half away from
 * zero (1.005 gives 1.01). A float then prints as its shortest form, which is
 * what PHP's string conversion writes for two decimals ("12.5", "12").
 */
export function phpRound(value: number, places: number): number {
  const factor = 10 ** places
  const scaled = Number((value * factor).toPrecision(15))
  return (Math.sign(scaled) * Math.round(Math.abs(scaled))) / factor
}
