import type { Server, Socket } from 'socket.io';
import {
  Ack,
  ChatRequest,
  ErrorCode,
  GiftRequest,
  JoinRequest,
  Lane,
  RoomMessage,
  SendResult,
  UserId,
} from '@live-im/contracts';
import { z } from 'zod';

/**
 * The client-facing work of the benches' plain Socket.IO baselines, the same as a gateway's:
 * validate `join` / `chat` / `gift`, stamp an envelope with a per-lane seq, ack. What happens to
 * each stamped message (emitted at once, or paced into batches) is the baseline's own choice,
 * given as `deliver`. Identity: the handshake's token is taken as the user id as is (the gateway
 * verifies a JWT once per connection, outside the measured window).
 */
export interface PlainClientEvents {
  join: (payload: unknown, ack: (reply: Ack<{ roomId: string }>) => void) => void;
  chat: (payload: unknown, ack: (reply: Ack<SendResult>) => void) => void;
  gift: (payload: unknown, ack: (reply: Ack<SendResult>) => void) => void;
}

type PlainSocket = Socket<PlainClientEvents>;

function refuse(
  code: ErrorCode,
  message: string,
): { ok: false; error: { code: ErrorCode; message: string } } {
  return { ok: false, error: { code, message } };
}

function invalid(error: z.ZodError): ReturnType<typeof refuse> {
  const issue = error.issues[0];
  return refuse(ErrorCode.INVALID_ARGUMENT, `${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
}

/** Stamps envelopes as room-service's log does: per room per lane seqs, from 1. */
export class PlainRoomLog {
  private readonly laneSeqs = new Map<string, { normal: number; important: number }>();
  private messageNumber = 0;

  stamp(
    roomId: string,
    lane: Lane,
    type: RoomMessage['type'],
    from: string,
    body: Record<string, unknown>,
    clientMsgId: string | undefined,
  ): RoomMessage {
    let seqs = this.laneSeqs.get(roomId);
    if (!seqs) this.laneSeqs.set(roomId, (seqs = { normal: 0, important: 0 }));
    return {
      id: `m${(this.messageNumber += 1)}`,
      roomId,
      lane,
      seq: (seqs[lane] += 1),
      type,
      from: { userId: from, nickname: from, level: 0 },
      body,
      ts: Date.now(),
      clientMsgId,
    };
  }
}

/** Serves join / chat / gift on `io`, handing every accepted message to `deliver`. */
export function servePlainRoom(
  io: Server<PlainClientEvents>,
  log: PlainRoomLog,
  deliver: (message: RoomMessage) => void,
): void {
  const publish = (
    socket: PlainSocket,
    roomId: string,
    lane: Lane,
    type: RoomMessage['type'],
    body: Record<string, unknown>,
    clientMsgId: string,
  ): SendResult => {
    const message = log.stamp(roomId, lane, type, socket.data as string, body, clientMsgId);
    deliver(message);
    return { messageId: message.id, lane, seq: message.seq, duplicate: false };
  };

  io.on('connection', (socket: PlainSocket) => {
    const token = (socket.handshake.auth as { token?: unknown }).token;
    const user = UserId.safeParse(token);
    socket.data = user.success ? user.data : null;

    socket.on('join', (payload, ack) => {
      const request = JoinRequest.safeParse(payload);
      if (!request.success) return ack(invalid(request.error));
      void socket.join(request.data.roomId);
      ack({ ok: true, data: { roomId: request.data.roomId } });
    });
    socket.on('chat', (payload, ack) => {
      const request = ChatRequest.safeParse(payload);
      if (!request.success) return ack(invalid(request.error));
      if (socket.data === null) return ack(refuse(ErrorCode.FORBIDDEN, 'guests cannot send'));
      if (!socket.rooms.has(request.data.roomId))
        return ack(refuse(ErrorCode.FORBIDDEN, 'join the room first'));
      const { roomId, text, clientMsgId } = request.data;
      ack({ ok: true, data: publish(socket, roomId, 'normal', 'chat', { text }, clientMsgId) });
    });
    socket.on('gift', (payload, ack) => {
      const request = GiftRequest.safeParse(payload);
      if (!request.success) return ack(invalid(request.error));
      if (socket.data === null) return ack(refuse(ErrorCode.FORBIDDEN, 'guests cannot send'));
      if (!socket.rooms.has(request.data.roomId))
        return ack(refuse(ErrorCode.FORBIDDEN, 'join the room first'));
      const { roomId, giftId, count, clientMsgId } = request.data;
      ack({ ok: true, data: publish(socket, roomId, 'important', 'gift', { giftId, count }, clientMsgId) });
    });
  });
}
