import { createServer } from 'node:http';
import { Server } from 'socket.io';

/**
 * The baseline of bench/conn-memory: a plain Socket.IO 4.8 server with its defaults, on which a
 * viewer `join`s a room (`socket.join`) and is acked, and then idles. Tells the parent `{ port }`.
 */
const http = createServer();
const io = new Server(http, { serveClient: false });
io.on('connection', (socket) => {
  socket.on('join', (payload: unknown, ack: unknown) => {
    const roomId = (payload as { roomId?: unknown } | null)?.roomId;
    if (typeof roomId !== 'string' || typeof ack !== 'function') return;
    void socket.join(`r:${roomId}`);
    (ack as (reply: unknown) => void)({ ok: true, data: { roomId } });
  });
});
http.listen(0, '127.0.0.1', () => {
  const address = http.address();
  if (address !== null && typeof address === 'object') process.send?.({ port: address.port });
});
