/**
 * PHP's json_encode (no flags) of a string, written out unit by unit from its
 * rules (ext/json/json_encoder.c) rather than from the daemon's encoder: `"`
 * and `\` escaped, `/` as `\/`, the short escapes of \b \f \n \r \t, and every
 * other control character and every UTF-16 unit past ASCII as a lowercase \uXXXX.
 */
export function phpString(text: string): string {
  const short: Record<string, string> = {
    '"': '\\"',
    '\\': '\\\\',
    '/': '\\/',
    '\b': '\\b',
    '\f': '\\f',
    '\n': '\\n',
    '\r': '\\r',
    '\t': '\\t',
  }
  let out = '"'
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string
    const unit = text.charCodeAt(i)
    out += short[ch] ?? (unit < 0x20 || unit > 0x7f ? `\\u${unit.toString(16).padStart(4, '0')}` : ch)
  }
  return `${out}"`
}
