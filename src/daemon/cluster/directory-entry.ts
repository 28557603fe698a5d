import { epochMs } from '../clients/clock.js'
import type { Connection } from '../clients/connection.js'

/**
 * A connection as the cluster's directory holds it (one hash per node, fd →
 * JSON): what other nodes need to list it, count its rooms, and remove it
 * from every room and uid set if its node dies.
 */
export interface DirectoryEntry {
  fd: number
  id: string | number | null
  type: string | null
  code: string
  nickname: string | null
  ip: string
  rooms: string[]
  uids: string[]
  connectedAt: number
}

/** The entry of a connection of this node. */
export function describeConnection(connection: Connection): DirectoryEntry {
  const { auth } = connection
  return {
    fd: connection.fd,
    id: auth?.id ?? null,
    type: auth?.type ?? null,
    code: connection.code,
    nickname: auth?.nickname ?? null,
    ip: connection.ip,
    rooms: [...connection.rooms],
    uids: [...connection.uids],
    connectedAt: epochMs(connection.connectedAt),
  }
}

export function directoryEntry(connection: Connection): string {
  return JSON.stringify(describeConnection(connection))
}

/** The entry, or undefined when the text is not one (written by something else). */
export function parseDirectoryEntry(text: string): DirectoryEntry | undefined {
  try {
    const value = JSON.parse(text) as Partial<DirectoryEntry>
    if (!Number.isSafeInteger(value.fd) || !Array.isArray(value.rooms) || !Array.isArray(value.uids)) return undefined
    return value as DirectoryEntry
  } catch {
    return undefined
  }
}
