import { expect } from 'vitest'
export { CHROMIUM, CHROMIUM_ARGS, LAUNCH_TIMEOUT_MS, launchChromium } from './chromium.js'

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

/** Width and height from a PNG's IHDR chunk. */
export function pngSize(png: Buffer): { width: number; height: number } {
  expect(png.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(true)
  expect(png.subarray(12, 16).toString('latin1')).toBe('IHDR')
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) }
}
