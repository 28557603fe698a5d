import { escapeHtml } from 'mswoole'
import { LIVE_SETTINGS } from './settings.js'

/**
 * Text for the big screen, HTML-escaped exactly once. Client strings arrive
 * escaped when setting.escape_html is on and raw when it is off, and token
 * nicknames always raw; decoding the five entities first makes the result the
 * same either way. The escaping is the daemon's own (mswoole's escapeHtml).
 */

const ENTITIES: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#039;': "'", '&#39;': "'" }

/** One pass, so "&amp;lt;" becomes "&lt;" and not "<". */
export function decodeHtml(text: string): string {
  return text.replace(/&(?:amp|lt|gt|quot|#0?39);/g, (entity) => ENTITIES[entity] ?? entity)
}

export function escapeOnce(text: string): string {
  return escapeHtml(decodeHtml(text))
}

export type SayCheck = { ok: true; say: string } | { ok: false; event: 'messageEmpty' | 'messageTooLong' }

/** A message as the screen gets it (trimmed, escaped once), or why it is refused. */
export function checkSay(value: unknown): SayCheck {
  if (typeof value !== 'string') return { ok: false, event: 'messageEmpty' }
  const text = decodeHtml(value).trim()
  if (text === '') return { ok: false, event: 'messageEmpty' }
  // Code points, so an emoji counts as one character as the user sees it.
  if ([...text].length > LIVE_SETTINGS.maxSayLength) {
    return { ok: false, event: 'messageTooLong' }
  }
  return { ok: true, say: escapeHtml(text) }
}
