/** The log levels, lowest first. Log lines name them ("level":"warn"); files of earlier versions hold pino's numbers. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const
export type LogLevelName = (typeof LOG_LEVELS)[number]

/** pino's number for each level. */
export const LEVEL_VALUES: Readonly<Record<LogLevelName, number>> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 }
