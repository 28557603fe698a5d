/**
 * Terminal cells a text takes. Cells hold what clients sent (nicknames, room
 * codes), so Chinese text and emoji must line up, and control characters must
 * not reach the operator's terminal.
 */

const PLAIN = /^[\x20-\x7e]*$/
/** Combining marks and format characters take no cell. */
const ZERO_WIDTH = /^[\p{Mn}\p{Me}\p{Cf}]$/u
/** East Asian wide and fullwidth ranges, and emoji shown as pictures: two cells. */
const WIDE =
  /^[\p{Emoji_Presentation}\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6\u{20000}-\u{3fffd}]$/u
/** Controls, line breaks and bidirectional overrides: shown as "?" so a cell cannot move the cursor or reorder a line. */
const UNSAFE = /[\p{Cc}\p{Zl}\p{Zp}\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu

export const ELLIPSIS = '…'

function charWidth(char: string): number {
  if (ZERO_WIDTH.test(char)) return 0
  return WIDE.test(char) ? 2 : 1
}

export function textWidth(text: string): number {
  if (PLAIN.test(text)) return text.length
  let width = 0
  for (const char of text) width += charWidth(char)
  return width
}

/** A value as one line of printable text. */
export function cleanCell(text: string): string {
  return text.replace(UNSAFE, '?')
}

/** The text cut to at most `width` cells, ending in "…" when it was cut. */
export function truncate(text: string, width: number): string {
  if (textWidth(text) <= width) return text
  if (width <= 0) return ''
  let kept = ''
  let used = 0
  for (const char of text) {
    const w = charWidth(char)
    if (used + w > width - 1) break
    kept += char
    used += w
  }
  return kept + ELLIPSIS
}

/** The text followed by spaces up to `width` cells. */
export function padEnd(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - textWidth(text)))
}
