/**
 * What the bench runner and a baseline server say over the server's IPC channel to force and
 * read its garbage collection (bench/lib/heap-probe.ts asks, bench/lib/gc-channel.ts answers).
 */
export interface GcRequest {
  mswooleBenchHeap: 'gc' | 'read'
}

export interface GcReply {
  mswooleBenchHeap: 'reply'
  heapUsed: number
  /** Bytes V8 holds for the young generation (new space). */
  youngGeneration: number
  error?: string
}

export function isGcRequest(message: unknown): message is GcRequest {
  const op = (message as Partial<GcRequest> | null)?.mswooleBenchHeap
  return op === 'gc' || op === 'read'
}

export function isGcReply(message: unknown): message is GcReply {
  return (message as Partial<GcReply> | null)?.mswooleBenchHeap === 'reply'
}
