import { z } from 'zod';
import { UserId } from '../user/user.schemas';

/**
 * A room id starts with a letter or digit, so that it can never collide with a user channel
 * (`_<userId>`, see `userChannel`) on the broadcast cluster, where both are topics.
 */
export const RoomId = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, 'a letter or digit, then letters, digits, underscore and dash');

export const RoomStatus = z.enum(['open', 'closed']);

export const RoomInfo = z.object({
  roomId: RoomId,
  title: z.string(),
  ownerId: UserId,
  status: RoomStatus,
  createdAt: z.number().int(),
  closedAt: z.number().int().nullable(),
});
export type RoomInfo = z.infer<typeof RoomInfo>;

/** The latest seq assigned per lane of a room (0 before the first message). */
export const LaneSeqs = z.object({
  normal: z.number().int().min(0),
  important: z.number().int().min(0),
});
export type LaneSeqs = z.infer<typeof LaneSeqs>;

/** Users one room.admit call admits at most: a gateway's joins of one room over a short window. */
export const MAX_ADMIT_USERS = 500;

/** The last seq per lane a client has seen, sent when it rejoins after a disconnect. */
export const ResumePoint = z
  .object({
    normalSeq: z.number().int().min(0),
    importantSeq: z.number().int().min(0),
  })
  .strict();
export type ResumePoint = z.infer<typeof ResumePoint>;

export const ClientMsgId = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_.:-]+$/, 'letters, digits and _ . : - only');

export const GiftId = z
  .string()
  .min(1)
  .max(32)
  .regex(/^[a-z0-9_-]+$/, 'lower-case letters, digits, underscore and dash only');

/** One entry of the gift catalogue. */
export const Gift = z.object({
  giftId: GiftId,
  name: z.string().min(1).max(32),
  /** Price in the platform's coins, per piece. */
  price: z.number().int().min(0),
  /** The animation the client plays: a name the web page knows (e.g. `float`, `burst`, `rocket`). */
  animation: z.string().min(1).max(32),
});
export type Gift = z.infer<typeof Gift>;

/** A user's state for one requireAck message. */
export const ReceiptStatus = z.enum(['delivered', 'expired']);
export type ReceiptStatus = z.infer<typeof ReceiptStatus>;

export const Receipt = z.object({
  messageId: z.string().min(1).max(64),
  roomId: RoomId,
  userId: UserId,
  status: ReceiptStatus,
  ts: z.number().int(),
});
export type Receipt = z.infer<typeof Receipt>;

/** Receipts one room.receipts call, or one business.receipts event, carries at most. */
export const MAX_RECEIPTS_PER_CALL = 500;

/** One user's state for one requireAck message, as a gateway reports it. */
export const ReceiptReport = z
  .object({
    messageId: z.string().min(1).max(64),
    roomId: RoomId,
    userId: UserId,
    status: ReceiptStatus,
  })
  .strict();
export type ReceiptReport = z.infer<typeof ReceiptReport>;

/** One recipient's receipt as the business gets it; `senderId` null when the system sent the message. */
export const BusinessReceipt = Receipt.extend({ senderId: UserId.nullable() }).strict();
export type BusinessReceipt = z.infer<typeof BusinessReceipt>;

/** Presence figures of a room (docs/architecture.md "Presence"). */
export const OnlineInfo = z.object({
  roomId: RoomId,
  /** Users connected, summed over live gateways (distinct per gateway: one user on two gateways counts twice). */
  count: z.number().int().min(0),
  /** Highest `count` seen. */
  peak: z.number().int().min(0),
  /** Distinct users who ever joined (HyperLogLog estimate, ~0.8% error). */
  viewersEver: z.number().int().min(0),
});
export type OnlineInfo = z.infer<typeof OnlineInfo>;

export const OnlineMember = z.object({ userId: UserId, nickname: z.string() });
export type OnlineMember = z.infer<typeof OnlineMember>;

/** One page of a room's member list; `nextCursor` null on the last page. */
export const OnlineListPage = z.object({
  roomId: RoomId,
  members: z.array(OnlineMember),
  nextCursor: z.string().nullable(),
});
export type OnlineListPage = z.infer<typeof OnlineListPage>;

/** Opaque paging cursor of the member list. */
export const OnlineListCursor = z
  .string()
  .max(64)
  .regex(/^[0-9]+:[0-9]+$/, 'a cursor returned by a previous page');
