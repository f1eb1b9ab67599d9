import { z } from 'zod';
import { readableText } from '../messages/readable-text';
import { RpcErrorBody } from '../errors/rpc-error';
import { Lane, RoomMessage } from '../messages/room-message';
import {
  ClientMsgId,
  GiftId,
  LaneSeqs,
  OnlineInfo,
  OnlineListCursor,
  OnlineListPage,
  Receipt,
  ResumePoint,
  RoomId,
  RoomInfo,
} from '../rpc/room/room.schemas';
import {
  HistoryResult,
  LaneMessages,
  MAX_CHAT_CHARS,
  MAX_HISTORY_PAGE,
  SendResult,
} from '../rpc/room/send.schemas';

/**
 * The Socket.IO protocol between a client (the SDK) and a gateway, written out in full (handshake,
 * ordering, resume, limits) in docs/socket-protocol.md. Every client event carries one payload
 * object and an acknowledgement callback receiving an `Ack`; payloads are validated against these
 * schemas, so a bad one is answered INVALID_ARGUMENT naming the field.
 */

/** The most one client event may weigh as JSON; heavier ones are answered PAYLOAD_TOO_LARGE. */
export const MAX_EVENT_BYTES = 4 * 1024;

export const JoinRequest = z.object({ roomId: RoomId, resume: ResumePoint.optional() }).strict();
export const LeaveRequest = z.object({ roomId: RoomId }).strict();
export const ChatRequest = z
  .object({ roomId: RoomId, text: readableText(MAX_CHAT_CHARS), clientMsgId: ClientMsgId })
  .strict();
export const GiftRequest = z
  .object({
    roomId: RoomId,
    giftId: GiftId,
    count: z.number().int().min(1).max(999),
    clientMsgId: ClientMsgId,
  })
  .strict();
export const LikeRequest = z.object({ roomId: RoomId, count: z.number().int().min(1).max(100) }).strict();
export const HistoryRequest = z
  .object({
    roomId: RoomId,
    lane: Lane,
    afterSeq: z.number().int().min(0),
    limit: z.number().int().min(1).max(MAX_HISTORY_PAGE).default(50),
  })
  .strict();
export const OnlineListRequest = z.object({ roomId: RoomId, cursor: OnlineListCursor.optional() }).strict();
export const AckRequest = z.object({ messageId: z.string().min(1).max(64) }).strict();

export const JoinResult = z.object({
  room: RoomInfo,
  online: OnlineInfo,
  /** The latest seq of each lane when joining: later batches continue from here. */
  seqs: LaneSeqs,
  recent: LaneMessages,
  /** With `resume`: what was missed, important first; `complete` false means page on with history. */
  missed: LaneMessages.extend({ complete: z.boolean() }).nullable(),
});
export type JoinResult = z.infer<typeof JoinResult>;

/** Client → gateway: payload schema per event. */
export const ClientEventSchemas = {
  join: JoinRequest,
  leave: LeaveRequest,
  chat: ChatRequest,
  gift: GiftRequest,
  like: LikeRequest,
  history: HistoryRequest,
  onlineList: OnlineListRequest,
  ack: AckRequest,
} as const;
export type ClientEventName = keyof typeof ClientEventSchemas;
export const CLIENT_EVENTS = Object.keys(ClientEventSchemas) as ClientEventName[];

/** What each client event's ack carries on success. */
export interface ClientEventResults {
  join: JoinResult;
  leave: { roomId: string };
  chat: SendResult;
  gift: SendResult;
  like: { accepted: number };
  history: HistoryResult;
  onlineList: OnlineListPage;
  ack: { messageId: string };
}

/** Every acknowledgement: a result or an error with a contract code. */
export type Ack<T> = { ok: true; data: T } | { ok: false; error: RpcErrorBody };

export type ClientEventPayload<E extends ClientEventName> = z.input<(typeof ClientEventSchemas)[E]>;

/** Socket.IO's typing of the client → server events (the payload, then the ack callback). */
export type ClientToServerEvents = {
  [E in ClientEventName]: (
    payload: ClientEventPayload<E>,
    ack: (reply: Ack<ClientEventResults[E]>) => void,
  ) => void;
};

/**
 * The first frame of a `batch` event: which room lane and seqs the body holds. `count` below
 * `lastSeq - firstSeq + 1` means flow control dropped normal messages in that range on purpose
 * (they stay readable through history); a gap between batches is a loss to pull.
 */
export const BatchInfo = z.object({
  roomId: RoomId,
  lane: Lane,
  firstSeq: z.number().int().positive(),
  lastSeq: z.number().int().positive(),
  count: z.number().int().min(0),
});
export type BatchInfo = z.infer<typeof BatchInfo>;

/**
 * The `online` event: the room's online figures and, when they come from the room's state (once a
 * second, docs/socket-protocol.md "Seq beacon"), the latest seq of each lane then. A client whose
 * lane stays behind such a seq pulls the missing messages through `history`.
 */
export const OnlineEvent = OnlineInfo.extend({ seqs: LaneSeqs.optional() });
export type OnlineEvent = z.infer<typeof OnlineEvent>;

export interface KickedEvent {
  roomId: string;
  reason: string;
}

/** An error not tied to an ack (an event sent without a callback, a failed resume). */
export interface FailureEvent extends RpcErrorBody {
  event: string | null;
}

/**
 * Gateway → client. `batch` carries the broadcast node's merged batch as is: `body` is the JSON
 * array text of `RoomMessage`s (the client `JSON.parse`s it), decoded once per gateway and sent as
 * one text frame encoded once for all the room's sockets. A gateway that is behind may join
 * consecutive batches of a lane into one (their ranges are contiguous). `direct` is one message
 * for this user only (targeted pushes, and re-deliveries of requireAck messages until acked).
 */
export interface ServerToClientEvents {
  batch: (info: BatchInfo, body: string) => void;
  direct: (message: RoomMessage) => void;
  online: (info: OnlineEvent) => void;
  receipt: (receipt: Receipt) => void;
  kicked: (event: KickedEvent) => void;
  roomClosed: (event: KickedEvent) => void;
  failure: (event: FailureEvent) => void;
}

/** Handshake: `auth: { token }` (a user or guest session token; omitted = anonymous viewer). */
export const HandshakeAuth = z.object({ token: z.string().min(1).max(4096).optional() }).passthrough();

/** The connection limit that refused a handshake (docs/socket-protocol.md "Limits"). */
export const ConnectLimit = z.enum(['address_rate', 'address_connections', 'gateway_full', 'shutting_down']);
export type ConnectLimit = z.infer<typeof ConnectLimit>;

/** `data.details` of a handshake refused by a connection limit. */
export const ConnectLimitDetails = z.object({
  limit: ConnectLimit,
  /** `address_rate`: when this address may connect again. */
  retryAfterMs: z.number().int().nonnegative().optional(),
  /** `address_connections`: the connections one address may hold open on this gateway. */
  maxPerAddress: z.number().int().positive().optional(),
  /** `gateway_full`: the connections this gateway holds at most. */
  maxConnections: z.number().int().positive().optional(),
});
export type ConnectLimitDetails = z.infer<typeof ConnectLimitDetails>;

/**
 * What `connect_error` carries as `data`: `code`, one of the contract codes (a client maps one it
 * does not know to SERVICE_UNAVAILABLE), and `details`: the refusing error's details, which for a
 * connection limit are ConnectLimitDetails. The gateway builds it; the SDK parses it.
 */
export const HandshakeErrorData = z.object({
  code: z.string().min(1),
  details: z.record(z.string(), z.unknown()).optional(),
});
export type HandshakeErrorData = z.infer<typeof HandshakeErrorData>;
