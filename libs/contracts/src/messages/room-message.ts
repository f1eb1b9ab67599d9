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
export type Sender = z.infer<typeof Sender>;

/** The sender of business pushes and of the room's own messages (like aggregates, closing). */
export const SYSTEM_SENDER: Sender = Object.freeze({ userId: 'u_system', nickname: 'system', level: 0 });

/** The envelope of every room message, as logged and as delivered. */
export const RoomMessage = z.object({
  id: z.string(),
  roomId: RoomId,
  lane: Lane,
  /**
   * Per room per lane, starting at 1, without gaps: a gap means a missed message. A targeted
   * message (`to` present) is not in the room's lanes: its seq counts the recipient's channel.
   */
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

/**
 * The broadcast topic of one user's targeted messages (kicks, receipts, pushes to listed users).
 * Room ids start with a letter or digit, so the leading underscore keeps the two apart.
 */
export function userChannel(userId: string): string {
  return `_${userId}`;
}

/** The user a channel id belongs to, or undefined for a room id. */
export function userOfChannel(channelId: string): string | undefined {
  return channelId.startsWith('_') ? channelId.slice(1) : undefined;
}

/**
 * `system` messages the gateway acts on (their `body.event`). They travel on the important lane;
 * `kick` and `receipt` only on a user channel, `room_closed` in the room.
 */
export const SystemEvent = {
  /** The user must leave the room: body {event, reason}. */
  kick: 'kick',
  /** A receipt for a requireAck message the user sent: body {event, receipt}. */
  receipt: 'receipt',
  /** The room closed; every member leaves: body {event, reason}. */
  roomClosed: 'room_closed',
} as const;
export type SystemEvent = (typeof SystemEvent)[keyof typeof SystemEvent];
