import type { FromWorker, ToWorker } from './thread-channel.js'

/**
 * The messages sent once or more per client frame travel as strings: a
 * structured clone copies a string at once, but walks an object key by key on
 * both sides. Each side packs what it posts and unpacks what it receives, so
 * the rest of the code sees only the typed messages of thread-channel.ts.
 *
 *   to a worker    f<seq>\0<fd>\0<sender>\0<text>   a client frame
 *   from a worker  a<fd>                           ack
 *                  d<seq>                          done
 *                  s<fd>\0<frame>                  a send to one fd
 *
 * A sender is JSON and a number is digits, so neither holds a NUL; the text
 * and the frame come last, and may.
 */
const SEP = '\u0000'

export function packToWorker(message: ToWorker): ToWorker | string {
  if (message.t === 'frame') return `f${message.seq}${SEP}${message.fd}${SEP}${message.sender}${SEP}${message.text}`
  return message
}

export function unpackToWorker(received: ToWorker | string): ToWorker {
  if (typeof received !== 'string') return received
  const a = received.indexOf(SEP)
  const b = received.indexOf(SEP, a + 1)
  const c = received.indexOf(SEP, b + 1)
  return {
    t: 'frame',
    seq: Number(received.slice(1, a)),
    fd: Number(received.slice(a + 1, b)),
    sender: received.slice(b + 1, c),
    text: received.slice(c + 1),
  }
}

export function packFromWorker(message: FromWorker): FromWorker | string {
  switch (message.t) {
    case 'ack':
      return `a${message.fd}`
    case 'done':
      return `d${message.seq}`
    case 'send':
      return message.to === 'fd' && typeof message.target === 'number' ? `s${message.target}${SEP}${message.frame}` : message
    default:
      return message
  }
}

export function unpackFromWorker(received: FromWorker | string): FromWorker {
  if (typeof received !== 'string') return received
  switch (received[0]) {
    case 'a':
      return { t: 'ack', fd: Number(received.slice(1)) }
    case 'd':
      return { t: 'done', seq: Number(received.slice(1)) }
    case 's': {
      const at = received.indexOf(SEP)
      return { t: 'send', to: 'fd', target: Number(received.slice(1, at)), frame: received.slice(at + 1) }
    }
    default:
      // Not a packing of this build: the pool's handler logs its type as unknown.
      return { t: received.slice(0, 1) } as unknown as FromWorker
  }
}
