import { createServer } from 'node:http';
import { Server, Socket } from 'socket.io';
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
 * The baseline of bench/fanout: a plain Socket.IO 4.8 server doing the same client-facing work
 * as a gateway (validate `join` / `chat` / `gift`, stamp an envelope with a per-lane seq, ack)
 * and emitting each message to the room as it comes: `io.to(room).emit('message', envelope)`.
 * Socket.IO encodes each broadcast once and writes its pre-built websocket frame to every socket,
 * so this is the plain approach at its best. Identity: the handshake's token is taken as the user
 * id as is (the gateway verifies a JWT once per connection, outside the measured window).
 */
interface PlainClientEvents {
  join: (payload: unknown, ack: (reply: Ack<{ roomId: string }>) => void) => void;
  chat: (payload: unknown, ack: (reply: Ack<SendResult>) => void) => void;
  gift: (payload: unknown, ack: (reply: Ack<SendResult>) => void) => void;
}

interface PlainServerEvents {
  message: (message: RoomMessage) => void;
}

type PlainSocket = Socket<PlainClientEvents, PlainServerEvents>;

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

/** Per room per lane, from 1, like room-service's log. */
const laneSeqs = new Map<string, { normal: number; important: number }>();
let messageNumber = 0;

function start(port: number): void {
  const http = createServer();
  const io = new Server<PlainClientEvents, PlainServerEvents>(http, {
    serveClient: false,
    maxHttpBufferSize: 4096,
    // Behind by tens of seconds at the bench's rates, the default heartbeat (20 s) would cut
    // viewers off with frames it already paid to write still unread: the only default changed,
    // so that every frame it writes is delivered and counted.
    pingTimeout: 300_000,
  });

  const publish = (
    socket: PlainSocket,
    roomId: string,
    lane: Lane,
    type: RoomMessage['type'],
    body: Record<string, unknown>,
    clientMsgId: string,
  ): SendResult => {
    let seqs = laneSeqs.get(roomId);
    if (!seqs) laneSeqs.set(roomId, (seqs = { normal: 0, important: 0 }));
    const seq = (seqs[lane] += 1);
    const userId = socket.data as string;
    const message: RoomMessage = {
      id: `m${(messageNumber += 1)}`,
      roomId,
      lane,
      seq,
      type,
      from: { userId, nickname: userId, level: 0 },
      body,
      ts: Date.now(),
      clientMsgId,
    };
    io.to(roomId).emit('message', message);
    return { messageId: message.id, lane, seq, duplicate: false };
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

  http.listen(port, '127.0.0.1', () => process.send?.({ listening: port }));
  process.on('SIGTERM', () => {
    void io.close(() => process.exit(0));
  });
  process.on('disconnect', () => process.exit(0));
}

start(Number(process.env['BENCH_PLAIN_PORT']));
