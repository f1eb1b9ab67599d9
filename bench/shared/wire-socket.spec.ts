import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { waitFor } from '@live-im/testing';
import { readEvent, WireSocket } from './wire-socket';

describe('WireSocket against a real Socket.IO server', () => {
  let http: HttpServer;
  let io: Server;
  let url: string;
  /** PONG packets the server received, from every client. */
  let pongs = 0;

  beforeAll(async () => {
    http = createServer();
    io = new Server(http, { transports: ['websocket'], pingInterval: 200, pingTimeout: 200 });
    io.use((socket, next) => {
      if (socket.handshake.auth['token'] === 'bad') next(new Error('UNAUTHENTICATED'));
      else next();
    });
    io.on('connection', (socket) => {
      socket.conn.on('packet', (packet: { type: string }) => {
        if (packet.type === 'pong') pongs += 1;
      });
      socket.on('join', (payload: { roomId: string }, ack: (reply: unknown) => void) => {
        ack({ ok: true, data: { roomId: payload.roomId, token: socket.handshake.auth['token'] ?? null } });
        const body = JSON.stringify([{ seq: 1, text: 'quote " and brace } inside' }]);
        socket.emit(
          'batch',
          { roomId: payload.roomId, lane: 'normal', firstSeq: 1, lastSeq: 1, count: 1 },
          body,
        );
        socket.emit('message', { seq: 2, from: { userId: 'u1' }, lane: 'important' });
      });
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await io.close();
  });

  it('connects with auth, gets acks, reads events, answers pings and sees the server close it', async () => {
    const socket = await WireSocket.connect(url, { token: 't1' }, 5000);
    const events: Array<{ name: string; first: unknown; args: unknown[] }> = [];
    const record = (event: { name: string; first: unknown; packet: Buffer }) =>
      events.push({
        name: event.name,
        first: event.first,
        args: JSON.parse(event.packet.toString()) as unknown[],
      });
    socket.on('batch', record);
    socket.on('message', record);
    let closed: string | undefined;
    socket.onClose((reason) => (closed = reason));

    await expect(socket.emitWithAck('join', { roomId: 'r1' }, 5000)).resolves.toEqual({
      ok: true,
      data: { roomId: 'r1', token: 't1' },
    });
    await waitFor(() => events.length === 2, { timeoutMs: 5000, what: 'both events' });
    const info = { roomId: 'r1', lane: 'normal', firstSeq: 1, lastSeq: 1, count: 1 };
    expect(events[0]).toEqual({
      name: 'batch',
      first: info,
      args: ['batch', info, JSON.stringify([{ seq: 1, text: 'quote " and brace } inside' }])],
    });
    expect(events[1].first).toEqual({ seq: 2, from: { userId: 'u1' }, lane: 'important' });

    // Outlives several ping intervals: it answers the server's pings.
    const pongsBefore = pongs;
    await waitFor(() => pongs >= pongsBefore + 3, { timeoutMs: 10_000, what: 'three answered pings' });
    expect(socket.connected).toBe(true);
    for (const s of await io.fetchSockets()) s.disconnect(true);
    await waitFor(() => closed !== undefined, { timeoutMs: 5000, what: 'the close' });
    expect(closed).toBe('io server disconnect');
    expect(socket.connected).toBe(false);
  });

  it('rejects a connection the server refuses', async () => {
    await expect(WireSocket.connect(url, { token: 'bad' }, 5000)).rejects.toThrow(
      /connect refused: .*UNAUTHENTICATED/,
    );
  });

  it('reads a first argument with nested objects by parsing the packet whole', () => {
    const frame = Buffer.from('42["x",{"a":{"b":1}},"tail"]');
    const event = readEvent(frame, 2);
    expect(event).toEqual({ name: 'x', first: { a: { b: 1 } }, packet: frame.subarray(2) });
  });
});
