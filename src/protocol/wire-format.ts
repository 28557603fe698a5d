/**
 * How the outside port writes its JSON, set by `setting.wire_format`:
 * - "seed": byte for byte what MSwoole-ws sent (its Chinese texts, JSON as
 *   PHP's json_encode wrote it, `param` left out when PHP's empty() is true of it),
 *   so its clients and backends work unchanged;
 * - "modern": English texts and plain UTF-8 JSON, `param` left out only when absent.
 * One daemon per process, so the format is set once per thread at start (the
 * master from its config, each worker from its workerData) before any frame is built.
 */
export const WIRE_FORMATS = ['seed', 'modern'] as const
export type WireFormat = (typeof WIRE_FORMATS)[number]

export const DEFAULT_WIRE_FORMAT: WireFormat = 'seed'

let current: WireFormat = DEFAULT_WIRE_FORMAT

export function setWireFormat(format: WireFormat): void {
  if (!WIRE_FORMATS.includes(format)) throw new TypeError(`unknown wire format ${JSON.stringify(format)}`)
  current = format
}

export function wireFormat(): WireFormat {
  return current
}

/** The infos of the replies the seed itself sent; the events are the same in both formats. */
export interface WireTexts {
  /** 200 receiveMessage: the ack sent before each message is dispatched. */
  ack: string
  /** 404 controllerNotFound */
  controllerNotFound: string
  /** 405 methodNotFound */
  methodNotFound: string
  /** 500 controllerError: a controller threw; the details go to the log only. */
  controllerError: string
}

const TEXTS: Record<WireFormat, WireTexts> = {
  // MSwoole/Outside.php's strings, exactly.
  seed: {
    ack: '服务端已收到您的请求内容',
    controllerNotFound: '您请求的控制器不存在',
    methodNotFound: '您请求的method方法不存在',
    controllerError: '程序错误',
  },
  modern: {
    ack: 'message received',
    controllerNotFound: 'controller not found',
    methodNotFound: 'method not found',
    controllerError: 'controller error',
  },
}

export function wireTexts(format: WireFormat = current): WireTexts {
  return TEXTS[format]
}
