import { MswError, type ErrorCode } from '../../errors.js'

/** An MswError that carries headers of its answer too (Allow on a 405). */
export class HttpError extends MswError {
  constructor(
    readonly status: number,
    code: ErrorCode,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(code, message)
  }
}

/** The HTTP status of each code a manager route can answer with; anything else is a 500. */
const STATUS_FOR: Partial<Record<ErrorCode, number>> = {
  MSW_ERR_BAD_REQUEST: 400,
  MSW_ERR_RPC_PARSE: 400,
  MSW_ERR_RPC_INVALID_REQUEST: 400,
  MSW_ERR_RPC_INVALID_PARAMS: 400,
  MSW_ERR_INVALID_ARGUMENT: 400,
  MSW_ERR_UNAUTHORIZED: 401,
  MSW_ERR_NOT_FOUND: 404,
  MSW_ERR_CONN_NOT_FOUND: 404,
  MSW_ERR_METHOD_NOT_ALLOWED: 405,
  MSW_ERR_RELOAD_REFUSED: 409,
  MSW_ERR_BODY_TOO_LARGE: 413,
  MSW_ERR_UNSUPPORTED_MEDIA_TYPE: 415,
  MSW_ERR_DASHBOARD_READONLY: 403,
  MSW_ERR_DASHBOARD_ORIGIN: 403,
  MSW_ERR_STORE_UNAVAILABLE: 503,
}

export function httpStatusOf(err: MswError): number {
  if (err instanceof HttpError) return err.status
  return STATUS_FOR[err.code] ?? 500
}

/** The headers an error answer carries besides its JSON body. */
export function httpHeadersOf(err: MswError): Record<string, string> {
  const headers: Record<string, string> = err instanceof HttpError ? { ...err.headers } : {}
  if (err.code === 'MSW_ERR_UNAUTHORIZED') headers['www-authenticate'] = 'Bearer'
  return headers
}

/** The error body every manager route answers with: `{"error":{"code","message"}}`. */
export function errorBody(err: MswError): { error: { code: ErrorCode; message: string } } {
  return { error: { code: err.code, message: err.message } }
}
