import { z } from 'zod';
import { RoomId } from '../rpc/room/room.schemas';
import { UserId } from '../rpc/user/user.schemas';

/**
 * Two lanes per room. Important (gifts, co-host signals, kicks, flagged pushes) is never merged
 * behind chat and never dropped by flow control; normal (chat, likes, counts) may be capped.
 */
export const Lane = z.enum(['normal', 'important']);
export type Lane = z.infer<typeof Lane>;

export const MessageType = z.enum(['chat', 'gift', 'like', 'system', 'signal', 'custom']);
export type MessageType = z.infer<typeof MessageType>;

export const Sender = z.object({
  userId: UserId,
  nickname: z.string(),
  level: z.number().int().min(0),
});

/** The envelope of every room message, as logged and as delivered. */
export const RoomMessage = z.object({
  id: z.string(),
  roomId: RoomId,
  lane: Lane,
  /** Per room per lane, starting at 1, without gaps: a gap means a missed message. */
  seq: z.number().int().positive(),
  type: MessageType,
  from: Sender,
  body: z.record(z.string(), z.unknown()),
  ts: z.number().int(),
  clientMsgId: z.string().max(64).optional(),
  /** When present, only these users receive the message. */
  to: z.array(UserId).max(1000).optional(),
  requireAck: z.boolean().optional(),
});
export type RoomMessage = z.infer<typeof RoomMessage>;
