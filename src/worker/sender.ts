import type { Message } from '../app-api/types.js'

/**
 * Who a message is from, as the controller sees it: `auth` and `code`.
 * A connection with a token is its token, whatever the frame says. An
 * anonymous one (auth.enabled false) is what its frame says, as in the seed
 * with APP_AUTH_CHECK off, where the client's own `auth` and `code` reached
 * the controller: so a client names its own user and event, and an app like
 * Live works without tokens. What the frame does not give (or gives as the
 * wrong type) is left empty, never trusted from elsewhere.
 */
export function senderOf(
  token: { auth: Message['auth'] | null; code: string },
  fields: Record<string, unknown>,
): Pick<Message, 'auth' | 'code'> {
  if (token.auth !== null) return { auth: token.auth, code: token.code }
  const { auth, code } = fields
  return {
    auth: isObject(auth) ? (auth as Message['auth']) : {},
    code: typeof code === 'string' ? code : typeof code === 'number' && Number.isFinite(code) ? String(code) : token.code,
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}
