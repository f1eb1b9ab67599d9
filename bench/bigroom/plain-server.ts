import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import { collectDefaultMetrics, register } from 'prom-client';
import { Server } from 'socket.io';
import { BatchInfo, ClientMsgId, RoomId, type RoomMessage } from '@live-im/contracts';
import { z } from 'zod';
import { PlainClientEvents, PlainRoomLog, servePlainRoom } from '../shared/plain-room';

/**
 * The baseline of bench/bigroom, one per process like a gateway: a plain Socket.IO 4.8 server
 * that does the same fan-out as the gateway at its shipped defaults, each frame a room-wide
 * `io.to(room).emit`: normal messages joined into one `batch` per pace (the gateway's: 250 ms,
 * NORMAL_PACE_MAX_MS, at 1000+ local sockets, NORMAL_PACE_FULL_SOCKETS, proportionally less
 * below), each important push its own `batch` at once, and the room's `online` count every second (the room state,
 * room-service's ROOM_STATE_MS). The frames are those of
 * the gateway (`batch` with BatchInfo and the JSON body as text), so the viewers read both alike
 * and the difference in CPU per frame is the per-socket write path. Important pushes come over
 * HTTP as the gateway's business push API takes them (POST /push); /metrics has prom-client's
 * default metrics, the gateway's event-loop delay figures included.
 */
const NORMAL_PACE_MAX_MS = 250;
const NORMAL_PACE_FULL_SOCKETS = 1000;
const ONLINE_EVERY_MS = 1_000;
const MAX_PUSH_BYTES = 16 * 1024;

const PushBody = z.object({
  roomId: RoomId,
  body: z.record(z.string(), z.unknown()),
  clientMsgId: ClientMsgId,
});

interface BigroomServerEvents {
  batch: (info: BatchInfo, body: string) => void;
  online: (info: { roomId: string; online: number }) => void;
}

function batchOf(messages: RoomMessage[]): { info: BatchInfo; body: string } {
  const first = messages[0];
  const last = messages[messages.length - 1];
  return {
    info: {
      roomId: first.roomId,
      lane: first.lane,
      firstSeq: first.seq,
      lastSeq: last.seq,
      count: messages.length,
    },
    body: JSON.stringify(messages),
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_PUSH_BYTES) req.destroy(new Error('push body too large'));
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function start(port: number): void {
  collectDefaultMetrics();
  const http = createServer();
  const io = new Server<PlainClientEvents, BigroomServerEvents>(http, {
    serveClient: false,
    maxHttpBufferSize: 4096,
    transports: ['websocket'],
  });
  const log = new PlainRoomLog();
  const pending = new Map<string, RoomMessage[]>();
  const emitBatch = (messages: RoomMessage[]) => {
    const { info, body } = batchOf(messages);
    io.to(info.roomId).emit('batch', info, body);
  };
  servePlainRoom(io, log, (message) => {
    if (message.lane === 'important') return emitBatch([message]);
    const waiting = pending.get(message.roomId);
    if (waiting) waiting.push(message);
    else pending.set(message.roomId, [message]);
  });
  const flushNormal = () => {
    for (const messages of pending.values()) emitBatch(messages);
    pending.clear();
    const sockets = io.of('/').sockets.size;
    setTimeout(
      flushNormal,
      Math.max(10, NORMAL_PACE_MAX_MS * Math.min(1, sockets / NORMAL_PACE_FULL_SOCKETS)),
    );
  };
  flushNormal();
  setInterval(() => {
    for (const [room, members] of io.of('/').adapter.rooms) {
      // Socket.IO keeps a room per socket id too: only the named rooms are rooms of viewers.
      if (!members.has(room)) io.to(room).emit('online', { roomId: room, online: members.size });
    }
  }, ONLINE_EVERY_MS);

  const answer = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };
  http.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (req.url?.startsWith('/socket.io/')) return; // Socket.IO's own
    if (req.method === 'GET' && req.url === '/metrics') {
      void register
        .metrics()
        .then((text) => res.writeHead(200, { 'content-type': register.contentType }).end(text));
      return;
    }
    if (req.method !== 'POST' || req.url !== '/push') return answer(res, 404, { error: 'NOT_FOUND' });
    readBody(req).then(
      (text) => {
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          return answer(res, 400, { error: 'INVALID_ARGUMENT' });
        }
        const push = PushBody.safeParse(json);
        if (!push.success) return answer(res, 400, { error: 'INVALID_ARGUMENT' });
        const { roomId, body, clientMsgId } = push.data;
        const message = log.stamp(roomId, 'important', 'custom', 'system', body, clientMsgId);
        emitBatch([message]);
        answer(res, 200, { messageId: message.id, seq: message.seq });
      },
      () => answer(res, 413, { error: 'PAYLOAD_TOO_LARGE' }),
    );
  });

  http.listen(port, '127.0.0.1', () => process.send?.({ listening: port }));
  process.on('SIGTERM', () => {
    void io.close(() => process.exit(0));
  });
  process.on('disconnect', () => process.exit(0));
}

start(Number(process.env['BENCH_PLAIN_PORT']));
