/**
 * Reading V8 heap snapshots (`--heapsnapshot-signal`) for bench/heap-profile.ts, and the shape
 * of its results file: what a server's heap holds per idle connection, by kind of object.
 */
import type { LabelledRun } from './profiles.js'

export interface HeapSnapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } }
  nodes: number[]
  strings: string[]
}

/** Bytes and objects of one kind: a constructor's objects, or V8's own kind (strings, arrays, code…). */
export interface KindTotal {
  kind: string
  bytes: number
  count: number
}

export interface HeapKindPerConnection {
  kind: string
  /** Bytes per connection (with N connections − with none, over N); may be negative. */
  bytes: number
  /** Objects per connection. */
  count: number
}

export interface HeapSubjectProfile {
  subject: 'mswoole' | 'plain'
  label: string
  connections: number
  /** Every kind's bytes per connection, summed: the snapshot's own total, native wrappers included. */
  bytesPerConnection: number
  kinds: HeapKindPerConnection[]
}

export interface HeapProfileResults extends LabelledRun {
  kind: 'heap-profile'
  connections: number
  subjects: HeapSubjectProfile[]
}

/** Strings, numbers and code are told apart by V8's kind only: their names are their contents. */
const BY_TYPE = new Set(['string', 'concatenated string', 'sliced string', 'number', 'code', 'hidden', 'object shape'])

/** Every kind's bytes and objects in a snapshot. */
export function kindTotals(snapshot: HeapSnapshot): Map<string, KindTotal> {
  const fields = snapshot.snapshot.meta.node_fields
  const types = snapshot.snapshot.meta.node_types[0]
  const width = fields.length
  const typeAt = fields.indexOf('type')
  const nameAt = fields.indexOf('name')
  const sizeAt = fields.indexOf('self_size')
  const totals = new Map<string, KindTotal>()
  for (let i = 0; i < snapshot.nodes.length; i += width) {
    const type = types[snapshot.nodes[i + typeAt]!] ?? 'unknown'
    const kind = BY_TYPE.has(type) ? `(${type})` : `${type}: ${(snapshot.strings[snapshot.nodes[i + nameAt]!] ?? '').slice(0, 60)}`
    const total = totals.get(kind) ?? { kind, bytes: 0, count: 0 }
    total.bytes += snapshot.nodes[i + sizeAt]!
    total.count++
    totals.set(kind, total)
  }
  return totals
}

/** (with − without) / connections for every kind, largest first by bytes. */
export function perConnection(
  without: Map<string, KindTotal>,
  withN: Map<string, KindTotal>,
  connections: number,
): HeapKindPerConnection[] {
  const kinds = new Set([...without.keys(), ...withN.keys()])
  return [...kinds]
    .map((kind) => ({
      kind,
      bytes: ((withN.get(kind)?.bytes ?? 0) - (without.get(kind)?.bytes ?? 0)) / connections,
      count: ((withN.get(kind)?.count ?? 0) - (without.get(kind)?.count ?? 0)) / connections,
    }))
    .sort((a, b) => b.bytes - a.bytes)
}
