/** What the mswoole package exports: the controller types, and the token codec for Node backends. */
export type {
  App,
  AppLogger,
  CloseEvent,
  ControllerHooks,
  KeyValueStore,
  Message,
  SendOptions,
  Target,
} from './app-api/types.js'
export type { AuthPayload } from './auth/payload.js'
export { decodeToken, encodeToken, type AuthCodecName } from './auth/codec.js'
export { ERRORS, MswError, type ErrorCode } from './errors.js'
