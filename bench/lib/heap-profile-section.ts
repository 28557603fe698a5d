/**
 * BENCHMARKS.md's section on what an idle connection holds: every
 * bench/results/heap-profile-<label>.json written by bench/heap-profile.ts, in the order of
 * their labels, side by side (read synchronously: the report renders in one pass).
 */
import type { HeapProfileResults, HeapSubjectProfile } from './heap-snapshots.js'
import { RESULTS_DIR } from './paths.js'
import { storedByLabel } from './profile-section.js'

const ROWS = 16

export function storedHeapProfiles(dir = RESULTS_DIR): HeapProfileResults[] {
  return storedByLabel<HeapProfileResults>('heap-profile', dir)
}

const bytes = (v: number | undefined) => (v === undefined ? '—' : String(Math.round(v)))
const cell = (s: HeapSubjectProfile | undefined, kind: string) => {
  const k = s?.kinds.find((x) => x.kind === kind)
  return k === undefined ? '—' : `${bytes(k.bytes)} (${k.count})`
}
const bytesOf = (s: HeapSubjectProfile | undefined, kind: string) => s?.kinds.find((x) => x.kind === kind)?.bytes ?? 0

export function heapProfileSection(profiles: HeapProfileResults[]): string[] {
  if (profiles.length === 0) return []
  const last = profiles.at(-1)!
  const mswoole = (p: HeapProfileResults) => p.subjects.find((s) => s.subject === 'mswoole')
  const plain = last.subjects.find((s) => s.subject === 'plain')
  // The kinds where mswoole and the plain ws server differ most, in any of the profiles.
  const kinds = [...new Set(profiles.flatMap((p) => [...(mswoole(p)?.kinds ?? []), ...(plain?.kinds ?? [])].map((k) => k.kind)))]
    .map((kind) => ({ kind, gap: Math.max(...profiles.map((p) => Math.abs(bytesOf(mswoole(p), kind) - bytesOf(plain, kind)))) }))
    .sort((a, b) => b.gap - a.gap)
    .slice(0, ROWS)
    .map((k) => k.kind)
  const total = (s: HeapSubjectProfile | undefined) => s?.bytesPerConnection ?? 0
  return [
    "## Where an idle connection's memory goes",
    '',
    `Heap snapshots of the daemon and of the plain ws server, each with no connection and then holding ${last.connections.toLocaleString('en-US')} idle connections ` +
      "(mswoole's authenticated with a token of their own, as in the memory scenario): bytes per connection by kind of object, " +
      '(with the connections − with none) / connections, and in brackets the objects per connection. ' +
      'Each is `node --import tsx bench/heap-profile.ts --label <label>`, with `--repo <a checkout of that commit>` for the earlier one. ' +
      "A snapshot counts the main thread's JavaScript heap after a full collection, plus V8's estimate of each socket's native wrapper (`Node / TCPSocketWrap`); " +
      'code V8 compiled while the connections opened is left out. The kinds where mswoole differs most from the plain ws server:',
    '',
    `| kind | plain ws server | ${profiles.map((p) => `mswoole, ${p.label}`).join(' | ')} | mswoole − plain, ${last.label} |`,
    `| --- | ---: | ${profiles.map(() => '---:').join(' | ')} | ---: |`,
    ...kinds.map(
      (kind) =>
        `| \`${kind.replaceAll('|', '\\|')}\` | ${cell(plain, kind)} | ${profiles.map((p) => cell(mswoole(p), kind)).join(' | ')} | ${bytes(bytesOf(mswoole(last), kind) - bytesOf(plain, kind))} |`,
    ),
    `| **every kind** | **${bytes(total(plain))}** | ${profiles.map((p) => `**${bytes(total(mswoole(p)))}**`).join(' | ')} | **${bytes(total(mswoole(last)) - total(plain))}** |`,
    '',
    'What mswoole keeps for each connection that the plain ws server does not, each for a feature: ' +
      'its connection record (fd, token, rooms, uids, counters, times, state; `object: Object`, 176 bytes), which `conn ls`, kick and the close hooks read; ' +
      'the decoded token (64 bytes, and its nickname among the `(string)` rows, with its uid and address); ' +
      "its uid as a one-element list (`object: Array` and `array: (object elements)`; the connections in one room alone share that room's list) and its entries in the fd table, " +
      "the local room and uid indexes and the store's room set (the hash tables, `array: `), which make a room or uid send a lookup. " +
      "Where the plain ws server makes three closures and two contexts per socket for its handlers, mswoole's handlers are one function for every socket, " +
      "and OutsideSocket answers pings itself where ws's auto-pong keeps a closure per socket. Once a client has answered a heartbeat ping, ws keeps room for 17 chunks in its read list (`array: (object elements)`, some 150 bytes); " +
      'mswoole gives it back at the pong, and the plain ws server, which never pings, never makes it.',
    '',
    ...profiles.map(
      (p) =>
        `- ${p.label}: ${p.describe}${p.commit === null ? '' : ` (\`${p.commit.slice(0, 7)}\`)`}; taken ${p.startedAt} on Node ${p.node}: mswoole ${(total(mswoole(p)) / Math.max(1, total(p.subjects.find((s) => s.subject === 'plain')))).toFixed(2)}× the plain ws server.`,
    ),
    '',
  ]
}
