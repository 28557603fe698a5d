/**
 * The seed's server message, `{"status":…,"event":…,"info":…,"param":…}`, built
 * once as the string the master writes to every socket as it is. `param` is left
 * out when undefined, as the seed did for an empty param.
 */
export function envelope(status: number, event: string, info: string, param?: unknown): string {
  const head = `{"status":${status},"event":${JSON.stringify(event)},"info":${JSON.stringify(info)}`
  // A param JSON cannot hold (a function, a symbol) is left out like an undefined one.
  const body = param === undefined ? undefined : (JSON.stringify(param) as string | undefined)
  return body === undefined ? `${head}}` : `${head},"param":${body}}`
}

/** The statuses the seed answers with, plus those the design adds. */
export const STATUS = {
  ok: 200,
  badRequest: 400,
  forbidden: 403,
  controllerNotFound: 404,
  methodNotFound: 405,
  tooLarge: 413,
  rateLimited: 429,
  controllerError: 500,
  unavailable: 503,
} as const
