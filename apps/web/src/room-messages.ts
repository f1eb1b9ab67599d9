import { type RoomMessage, type Sender, SystemEvent } from '@live-im/contracts';
import { z } from 'zod';

/**
 * The bodies the page shows, as room-service writes them. The envelope's body is an open record
 * (business pushes put anything there), so each is checked before use and a body that does not
 * fit is skipped rather than shown half.
 */
const ChatBody = z.object({ text: z.string().min(1) });
const GiftBody = z.object({
  giftId: z.string().min(1),
  name: z.string().min(1),
  count: z.number().int().min(1),
  animation: z.string().min(1),
  price: z.number().int().min(0),
});
const LikeBody = z.object({ count: z.number().int().min(0), total: z.number().int().min(0) });
const SystemBody = z.looseObject({ event: z.string().min(1) });

export interface ChatLine {
  kind: 'chat';
  messageId: string;
  from: Sender;
  text: string;
}

export interface GiftLine {
  kind: 'gift';
  messageId: string;
  from: Sender;
  giftId: string;
  name: string;
  count: number;
  animation: string;
  price: number;
}

export interface SystemLine {
  kind: 'system';
  messageId: string;
  /** The system event (`room_closed`, or a business push's own). */
  event: string;
  text: string;
}

export interface LikeAggregate {
  /** Likes in the last aggregation window. */
  count: number;
  /** Likes the room ever received. */
  total: number;
}

export function chatLineOf(message: RoomMessage): ChatLine | undefined {
  if (message.type !== 'chat') return undefined;
  const body = ChatBody.safeParse(message.body);
  if (!body.success) return undefined;
  return { kind: 'chat', messageId: message.id, from: message.from, text: body.data.text };
}

export function giftLineOf(message: RoomMessage): GiftLine | undefined {
  if (message.type !== 'gift') return undefined;
  const body = GiftBody.safeParse(message.body);
  if (!body.success) return undefined;
  return { kind: 'gift', messageId: message.id, from: message.from, ...body.data };
}

export function likeAggregateOf(message: RoomMessage): LikeAggregate | undefined {
  if (message.type !== 'like') return undefined;
  const body = LikeBody.safeParse(message.body);
  return body.success ? body.data : undefined;
}

/** A system message as one line of text: its `text`/`reason` when it has one, else its event. */
export function systemLineOf(message: RoomMessage): SystemLine | undefined {
  if (message.type !== 'system') return undefined;
  const body = SystemBody.safeParse(message.body);
  if (!body.success) return undefined;
  const { event } = body.data;
  const text = stringField(body.data, 'text') ?? stringField(body.data, 'message');
  const reason = stringField(body.data, 'reason');
  const line =
    event === SystemEvent.roomClosed
      ? `The live has ended${reason === undefined ? '' : `: ${reason}`}`
      : (text ?? reason ?? event);
  return { kind: 'system', messageId: message.id, event, text: line };
}

function stringField(body: Record<string, unknown>, field: string): string | undefined {
  const value = body[field];
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}
