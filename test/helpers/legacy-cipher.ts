import { createCipheriv, createDecipheriv } from 'node:crypto'

/**
 * The legacy token's cipher done by hand (3DES-EDE3/ECB, PKCS5, base64 with
 * '+' '/' '=' as '*' ':' '_'), so tests can make tokens of any plaintext, as a
 * PHP backend or anyone holding the key could, and cut tokens into their blocks.
 */

export const BLOCK = 8

function desKey(key: string): Buffer {
  const out = Buffer.alloc(24, '0')
  Buffer.from(key, 'utf8').copy(out, 0, 0, 24)
  return out
}

const toB64 = (token: string): string => token.replace(/\*/g, '+').replace(/:/g, '/').replace(/_/g, '=')
const fromB64 = (b64: string): string => b64.replace(/\+/g, '*').replace(/\//g, ':').replace(/=/g, '_')

/** A legacy token whose plaintext is exactly `plain` (before padding). */
export function legacyEncrypt(plain: string | Buffer, key: string): string {
  const cipher = createCipheriv('des-ede3', desKey(key), null)
  return fromB64(Buffer.concat([cipher.update(plain), cipher.final()]).toString('base64'))
}

/** The plaintext of a legacy token, padding removed. */
export function legacyDecrypt(token: string, key: string): Buffer {
  const decipher = createDecipheriv('des-ede3', desKey(key), null)
  return Buffer.concat([decipher.update(Buffer.from(toB64(token), 'base64')), decipher.final()])
}

/** A legacy token's ciphertext, cut into its 8-byte 3DES blocks. */
export function legacyBlocks(token: string): Buffer[] {
  const bytes = Buffer.from(toB64(token), 'base64')
  const blocks: Buffer[] = []
  for (let at = 0; at < bytes.length; at += BLOCK) blocks.push(bytes.subarray(at, at + BLOCK))
  return blocks
}

/** Blocks back into a legacy token. */
export function legacyToken(blocks: Buffer[]): string {
  return fromB64(Buffer.concat(blocks).toString('base64'))
}
