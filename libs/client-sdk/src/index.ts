// The live-im client SDK: the one front door for browsers (ESM bundle) and Node (TS source).
export { connect, LiveClient, type ConnectionState, type ClientEventMap } from './lib/live-client';
export type { ConnectOptionsInput as ConnectOptions } from './lib/connect-options';
export { RoomHandle } from './lib/room-handle';
export type { RoomEventMap, RoomClosedEvent } from './lib/room-events';
export type { GapEvent, GapRange } from './lib/lane-cursor';
export { LiveError, isTransient } from './lib/live-error';
export {
  auth,
  type Session,
  type GuestSession,
  type RegisterRequest,
  type LoginRequest,
  type HttpOptions,
} from './lib/auth';
export { ErrorCode } from '@live-im/contracts';
export type {
  Gift,
  HistoryResult,
  KickedEvent,
  Lane,
  LaneMessages,
  MessageType,
  OnlineInfo,
  OnlineListPage,
  OnlineMember,
  Receipt,
  RoomInfo,
  RoomMessage,
  Sender,
  SendResult,
} from '@live-im/contracts';
