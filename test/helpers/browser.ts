import { chromium, type Browser } from 'playwright-core'
import { ensureProgram } from './system-package.js'

/**
 * The JavaScript client from MSwoole-ws's README, as a page would run it; only
 * the address and what the handlers do with a message are filled in. `SERVER`
 * stands for the address: see `seedClient`.
 */
export const SEED_CLIENT = `
window.received = [];
window.closeCode = null;
var server = SERVER;
var websocket = new WebSocket(server);
websocket.onopen = function (evt) {
  var data = { "method": "index.index.index", "name": "hello" };
  websocket.send(JSON.stringify(data));
};
websocket.onmessage = function (evt) {
  window.received.push(evt.data);
};
websocket.onerror = function (evt, e) {};
websocket.onclose = function (evt) { window.closeCode = evt.code; };
window.websocket = websocket;
`

/** The seed client with `url` as its address, ready for `page.evaluate`. */
export function seedClient(url: string): string {
  return SEED_CLIENT.replace('SERVER', JSON.stringify(url))
}

/** What the seed client keeps on a page's global object. */
export type PageState = { received: string[]; closeCode: number | null; websocket: { send(data: string): void } }

/** Debian's Chromium; installed with apt when missing, never downloaded. */
export const CHROMIUM = '/usr/bin/chromium'

/** Headless, as root in a container, with nothing that reaches out to the network on its own. */
export const CHROMIUM_ARGS: readonly string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

export async function launchChromium(): Promise<Browser> {
  const executablePath = await ensureProgram(CHROMIUM, 'chromium')
  return chromium.launch({ executablePath, args: [...CHROMIUM_ARGS] })
}
