/** One line for an error from a driver: Node's connection errors may be an AggregateError with no message of its own. */
export function describeError(err: unknown): string {
  if (err instanceof AggregateError && err.message === '' && err.errors.length > 0) return describeError(err.errors[0])
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code
    const text = err.message !== '' ? err.message : typeof code === 'string' ? code : err.name
    return text.split('\n')[0] ?? text
  }
  return String(err)
}
