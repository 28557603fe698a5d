import { MswError } from '../errors.js'
import { paramSchemas, type MethodName, type ParamsOf } from '../contracts/control-api.js'

/**
 * Checks a control request's params as the daemon will, so that a bad value
 * is refused here as a usage error naming the flag (exit 2), before any
 * request: never as the daemon's MSW_ERR_RPC_INVALID_PARAMS about a method.
 * `names` says how the command spells a param that is not a flag of the same name.
 */
export function checkParams<M extends MethodName>(method: M, params: ParamsOf<M>, names: Record<string, string> = {}): ParamsOf<M> {
  const parsed = paramSchemas[method].safeParse(params)
  if (parsed.success) return params
  const issue = parsed.error.issues[0]
  const key = issue?.path[0] === undefined ? undefined : String(issue.path[0])
  const name = key === undefined ? '' : `${names[key] ?? `--${key}`}: `
  throw new MswError(
    'MSW_ERR_INVALID_ARGUMENT',
    `${name}${issue?.message ?? 'invalid value'}`,
    key === undefined ? {} : { details: { param: key } },
  )
}
