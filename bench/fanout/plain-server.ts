import { createServer } from 'node:http';
import { Server } from 'socket.io';
import type { RoomMessage } from '@live-im/contracts';
import { PlainClientEvents, PlainRoomLog, servePlainRoom } from '../shared/plain-room';

/**
 * The baseline of bench/fanout: a plain Socket.IO 4.8 server doing the same client-facing work
 * as a gateway (plain-room.ts) and emitting each message to the room as it comes:
 * `io.to(room).emit('message', envelope)`. Socket.IO encodes each broadcast once and writes its
 * pre-built websocket frame to every socket, so this is the plain approach at its best.
 */
interface PlainServerEvents {
  message: (message: RoomMessage) => void;
}

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
  servePlainRoom(io, new PlainRoomLog(), (message) => io.to(message.roomId).emit('message', message));

  http.listen(port, '127.0.0.1', () => process.send?.({ listening: port }));
  process.on('SIGTERM', () => {
    void io.close(() => process.exit(0));
  });
  process.on('disconnect', () => process.exit(0));
}

start(Number(process.env['BENCH_PLAIN_PORT']));
