import { z } from 'zod';
import { Lane, RoomMessage, Sender } from '../../messages/room-message';
import { UserRole } from '../user/user.schemas';
import { RoomId } from './room.schemas';

const utf8 = new TextEncoder();

/** Bytes of a value as JSON (UTF-8), the measure of every size limit. */
export function jsonBytes(value: unknown): number {
  return utf8.encode(JSON.stringify(value)).length;
}

/** Who sends: the gateway fills it from the verified token, never from the client. */
export const Actor = Sender.extend({ role: UserRole }).strict();
export type Actor = z.infer<typeof Actor>;

/** The most a single message body may weigh, as JSON. */
export const MAX_BODY_BYTES = 8 * 1024;
export const MAX_CHAT_CHARS = 500;

export const Body = z
  .record(z.string(), z.unknown())
  .refine((body) => jsonBytes(body) <= MAX_BODY_BYTES, `at most ${MAX_BODY_BYTES} bytes as JSON`);

/** Messages of both lanes, each in seq order. */
export const LaneMessages = z.object({ important: z.array(RoomMessage), normal: z.array(RoomMessage) });
export type LaneMessages = z.infer<typeof LaneMessages>;

export const SendResult = z.object({
  messageId: z.string(),
  lane: Lane,
  seq: z.number().int().positive(),
  /** True when this clientMsgId was sent before: the first send's id and seq come back. */
  duplicate: z.boolean(),
});
export type SendResult = z.infer<typeof SendResult>;

/** The most messages one history call (room.history, the socket's `history`) returns. */
export const MAX_HISTORY_PAGE = 200;

export const HistoryResult = z.object({
  roomId: RoomId,
  lane: Lane,
  messages: z.array(RoomMessage),
  latestSeq: z.number().int().min(0),
  /** The oldest seq the log still holds (0 when empty): seqs below it are gone. */
  oldestSeq: z.number().int().min(0),
});
export type HistoryResult = z.infer<typeof HistoryResult>;
