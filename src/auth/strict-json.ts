/**
 * Checks the shape of a legacy token's plaintext beyond what JSON.parse checks.
 * PHP's json_encode writes exactly one object: no byte before its `{`, none
 * after its `}`, no whitespace between tokens (only JSON_PRETTY_PRINT adds
 * some), and never the same key twice. ECB blocks spliced from other tokens
 * need those to fit together: a repeated "type" (the last one wins in both
 * JSON.parse and json_decode), or spaces to pad a forged field out to a block
 * boundary. A payload that breaks any of the rules is refused.
 *
 * `text` must already be valid JSON (JSON.parse accepted it): the scanner only
 * tells strings from structure, it does not validate. It is one pass over the
 * text, and its stack never holds more frames than the text has brackets.
 */

interface ObjectFrame {
  keys: Set<string>
  /** True right after `{` or `,`: the next string is a key. */
  expectKey: boolean
}

/** null stands for an array: only objects have keys. */
type Frame = ObjectFrame | null

/** Why `text` is not exactly one JSON object as json_encode writes it, or undefined when it is. */
export function strictJsonProblem(text: string): string | undefined {
  if (!text.startsWith('{')) return text.trimStart().startsWith('{') ? 'bytes before the JSON object' : 'not a JSON object'
  const stack: Frame[] = []
  let spaced = false
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]
    const top = stack.at(-1)
    switch (ch) {
      case '"': {
        const end = stringEnd(text, i)
        if (top && top.expectKey) {
          // Compared unescaped: "typ\u0065" is the key "type".
          const key = JSON.parse(text.slice(i, end + 1)) as string
          if (top.keys.has(key)) return `duplicate key ${quoteForMessage(key)}`
          top.keys.add(key)
          top.expectKey = false
        }
        i = end
        break
      }
      case '{':
        stack.push({ keys: new Set(), expectKey: true })
        break
      case '[':
        stack.push(null)
        break
      case ',':
        if (top) top.expectKey = true
        break
      case '}':
      case ']':
        stack.pop()
        if (stack.length === 0 && i !== text.length - 1) return 'bytes after the JSON object'
        break
      case ' ':
      case '\t':
      case '\n':
      case '\r':
        // Strings were skipped whole, so this is between tokens. Reported last:
        // a duplicate key further on says more about what the payload is.
        spaced = true
        break
      default:
        // Numbers, literals and ':' carry no keys.
        break
    }
  }
  return spaced ? 'whitespace between JSON tokens' : undefined
}

/** Index of the quote closing the string that opens at `start`. */
function stringEnd(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    if (text[i] === '\\') i++
    else if (text[i] === '"') return i
  }
  // Unreachable for valid JSON; treated as running to the end.
  return text.length - 1
}

/** A key for an error message: quoted, and cut short, since it came from the token. */
function quoteForMessage(key: string): string {
  const quoted = JSON.stringify(key)
  return quoted.length > 40 ? `${quoted.slice(0, 37)}…"` : quoted
}
