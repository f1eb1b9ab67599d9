import { waitFor } from '@live-im/testing';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server, type Socket } from 'socket.io';
import { io as connect, type Socket as ClientSocket } from 'socket.io-client';
import { GatewayMetrics } from '../metrics/gateway-metrics';
import { directSocketOf } from './engine-internals';
import { FrameSet, OutEvent } from './event-frames';
import { SocketSession } from './socket-session';
import type { SocketServerHost } from './socket-server.host';
import type { GatewaySocket } from './socket-types';
import { type SharedWrite, SharedOutcome, SocketWriter } from './socket-writer';

const KERNEL_QUEUE_BYTES = 65_536;

/**
 * writeShared on real websocket connections: which set a socket gets, by its backlog, where the
 * kernel's bounded send queue counts once the kernel refused bytes.
 */
describe('SocketWriter.writeShared', () => {
  let http: HttpServer;
  let server: Server;
  let port: number;
  let writer: SocketWriter;
  const clients: ClientSocket[] = [];

  beforeAll(async () => {
    http = createServer();
    server = new Server(http, { perMessageDeflate: false, transports: ['websocket'] });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    port = (http.address() as AddressInfo).port;
    // The one thing writeShared asks the host: the SO_SNDBUF each connection got.
    const host = { sendBufferBound: KERNEL_QUEUE_BYTES } as unknown as SocketServerHost;
    writer = new SocketWriter(host, new GatewayMetrics());
  });

  afterAll(async () => {
    for (const client of clients) client.close();
    await server?.close();
  });

  async function open(): Promise<[SocketSession, ClientSocket]> {
    const connected = new Promise<Socket>((resolve) => server.once('connection', resolve));
    const client = connect(`http://127.0.0.1:${port}`, { transports: ['websocket'], reconnection: false });
    clients.push(client);
    const socket = (await connected) as unknown as GatewaySocket;
    await waitFor(() => directSocketOf(socket) !== undefined, { what: 'an idle websocket' });
    const actor = { userId: 'u1', nickname: 'u1', level: 0, role: 'guest' } as const;
    return [new SocketSession(socket, actor, true, null), client];
  }

  function sharedWrite(important: number, normal: number): SharedWrite {
    const batch = (lane: 'important' | 'normal', seq: number) =>
      OutEvent.of(
        'batch',
        { roomId: 'r', lane, firstSeq: seq, lastSeq: seq, count: 1 },
        JSON.stringify([{ seq }]),
      );
    return {
      all: new FrameSet([batch('important', important), batch('normal', normal)]),
      withoutNormal: new FrameSet([batch('important', important)]),
      skipNormalAbove: KERNEL_QUEUE_BYTES,
      cutAbove: 8 * KERNEL_QUEUE_BYTES,
    };
  }

  it('writes everything to a socket that is not behind, and all but normal once its kernel refused bytes', async () => {
    const [session, client] = await open();
    const got: string[] = [];
    client.on('batch', (info: { lane: string; firstSeq: number }) =>
      got.push(`${info.lane}:${info.firstSeq}`),
    );
    expect(writer.writeShared(session, sharedWrite(1, 1))).toBe(SharedOutcome.All);
    await waitFor(() => got.length === 2, { what: 'the first write at the client' });

    // A few bytes the kernel did not take (corked here) put the socket behind by its full queue.
    const raw = directSocketOf(session.socket);
    if (raw === undefined) throw new Error('no direct socket');
    raw.cork();
    expect(writer.writeShared(session, sharedWrite(2, 2))).toBe(SharedOutcome.All);
    expect(raw.writableLength).toBeGreaterThan(0);
    expect(raw.writableLength).toBeLessThan(KERNEL_QUEUE_BYTES);
    expect(writer.writeShared(session, sharedWrite(3, 3))).toBe(SharedOutcome.WithoutNormal);
    raw.uncork();
    await waitFor(() => got.length === 5, { what: 'the corked writes at the client' });
    expect(got).toEqual(['important:1', 'normal:1', 'important:2', 'normal:2', 'important:3']);

    // Drained: everything again.
    await waitFor(() => raw.writableLength === 0, { what: 'the kernel took it' });
    expect(writer.writeShared(session, sharedWrite(4, 4))).toBe(SharedOutcome.All);
    await waitFor(() => got.length === 7, { what: 'the last write at the client' });
  });
});
