import { MswError, errorFromJSON, type ErrorCode } from '../errors.js'

/** JSON-RPC 2.0 types and the mapping between MswError and JSON-RPC error objects. */

export type JsonRpcId = string | number | null

export interface JsonRpcRequest {
  jsonrpc: '2.0'
  id?: JsonRpcId
  method: string
  params?: unknown
}

export interface JsonRpcErrorObject {
  code: number
  message: string
  data?: { code: ErrorCode; details?: Record<string, unknown> }
}

export interface JsonRpcSuccess {
  jsonrpc: '2.0'
  id: JsonRpcId
  result: unknown
}

export interface JsonRpcFailure {
  jsonrpc: '2.0'
  id: JsonRpcId
  error: JsonRpcErrorObject
}

export interface JsonRpcNotification {
  jsonrpc: '2.0'
  method: string
  params?: unknown
}

export type JsonRpcResponse = JsonRpcSuccess | JsonRpcFailure

/** The standard JSON-RPC codes; everything of mswoole's own uses -32000 with data.code. */
const RPC_CODE_FOR: Partial<Record<ErrorCode, number>> = {
  MSW_ERR_RPC_PARSE: -32700,
  MSW_ERR_RPC_INVALID_REQUEST: -32600,
  MSW_ERR_RPC_TOO_LARGE: -32600,
  MSW_ERR_RPC_METHOD_NOT_FOUND: -32601,
  MSW_ERR_RPC_INVALID_PARAMS: -32602,
  MSW_ERR_INTERNAL: -32603,
}

export function toRpcError(err: unknown): JsonRpcErrorObject {
  const msw = err instanceof MswError ? err : new MswError('MSW_ERR_INTERNAL', 'internal error')
  const data: JsonRpcErrorObject['data'] = msw.details ? { code: msw.code, details: msw.details } : { code: msw.code }
  return { code: RPC_CODE_FOR[msw.code] ?? -32000, message: msw.message, data }
}

export function fromRpcError(error: JsonRpcErrorObject): MswError {
  return errorFromJSON({ code: error.data?.code, message: error.message, details: error.data?.details })
}

export function failure(id: JsonRpcId, err: unknown): JsonRpcFailure {
  return { jsonrpc: '2.0', id, error: toRpcError(err) }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Validates the envelope of one decoded request; the method's params are checked by the method table. */
export function parseRequest(value: unknown): JsonRpcRequest {
  if (!isRecord(value) || value.jsonrpc !== '2.0' || typeof value.method !== 'string') {
    throw new MswError('MSW_ERR_RPC_INVALID_REQUEST', 'expected {"jsonrpc":"2.0","method":string,...}')
  }
  const id = value.id
  if (id !== undefined && id !== null && typeof id !== 'string' && typeof id !== 'number') {
    throw new MswError('MSW_ERR_RPC_INVALID_REQUEST', 'id must be a string, a number or null')
  }
  return value as unknown as JsonRpcRequest
}

/** The id to answer with when a request is too broken to read one. */
export function idOf(value: unknown): JsonRpcId {
  if (!isRecord(value)) return null
  const id = value.id
  return typeof id === 'string' || typeof id === 'number' ? id : null
}
