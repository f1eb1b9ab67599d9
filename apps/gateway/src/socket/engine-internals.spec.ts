import { waitFor } from '@live-im/testing';
import { createServer, type Server as HttpServer } from 'node:http';
import { type AddressInfo, Socket as NetSocket } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Server, type Socket } from 'socket.io';
import { io as connect, type Socket as ClientSocket } from 'socket.io-client';
import {
  backlogBytes,
  type DirectProbe,
  directSocketOf,
  dropTransport,
  listenToEveryEvent,
  probeDirect,
  releaseFirstRequest,
  releaseUpgradeRequests,
  transportOf,
} from './engine-internals';
import { eventFrame } from './event-frames';
import type { GatewayServer, GatewaySocket } from './socket-types';

// A full collection on demand, to see that nothing holds a released request any more.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

/**
 * The engine.io and ws internals engine-internals.ts relies on, checked on real connections: an
 * upgrade of socket.io, engine.io or ws that renames or changes one of them fails here.
 */
describe('engine.io and ws internals', () => {
  let http: HttpServer;
  let server: Server;
  let port: number;
  const clients: ClientSocket[] = [];

  beforeAll(async () => {
    http = createServer();
    server = new Server(http, { perMessageDeflate: false, transports: ['polling', 'websocket'] });
    releaseUpgradeRequests(server as unknown as GatewayServer);
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    port = (http.address() as AddressInfo).port;
  });

  afterAll(async () => {
    for (const client of clients) client.close();
    await server?.close();
  });

  async function open(transports: Array<'polling' | 'websocket'>): Promise<[GatewaySocket, ClientSocket]> {
    const connected = new Promise<Socket>((resolve) => server.once('connection', resolve));
    const client = connect(`http://127.0.0.1:${port}`, { transports, upgrade: false, reconnection: false });
    clients.push(client);
    const socket = (await connected) as unknown as GatewaySocket;
    await waitFor(() => client.connected, { what: 'the client connected' });
    return [socket, client];
  }

  it('names the fields it reads, with the shapes it expects', async () => {
    const [socket] = await open(['websocket']);
    const engine = socket.conn as unknown as Record<string, unknown>;
    expect(engine['readyState']).toBe('open');
    expect(engine['upgrading']).toBe(false);
    expect(Array.isArray(engine['writeBuffer'])).toBe(true);
    const transport = engine['transport'] as Record<string, unknown>;
    expect(transport['name']).toBe('websocket');
    const ws = transport['socket'] as Record<string, unknown>;
    expect(ws['readyState']).toBe(1);
    expect(ws['_socket']).toBeInstanceOf(NetSocket);
    expect(typeof ws['terminate']).toBe('function');
    const sender = ws['_sender'] as Record<string, unknown>;
    expect(sender['_state']).toBe(0);
    expect(Array.isArray(sender['_queue'])).toBe(true);
    expect(sender['_bufferedBytes']).toBe(0);
    expect(transportOf(socket)).toBe('websocket');
  });

  it('writes directly only to an open websocket whose engine.io buffer is empty', async () => {
    const [socket, client] = await open(['websocket']);
    await waitFor(() => socket.conn.transport.writable, { what: 'an idle transport' });
    expect(directSocketOf(socket)).toBeInstanceOf(NetSocket);
    // The first emit goes to ws at once; the second waits in engine.io's buffer for the first's callback.
    socket.emit('online', { roomId: 'r', count: 1, peak: 1, viewersEver: 1 });
    socket.emit('online', { roomId: 'r', count: 2, peak: 2, viewersEver: 2 });
    expect((socket.conn as unknown as { writeBuffer: unknown[] }).writeBuffer).toHaveLength(1);
    expect(directSocketOf(socket)).toBeUndefined();
    expect(backlogBytes(socket)).toBeGreaterThan(40);
    await waitFor(() => directSocketOf(socket) !== undefined, { what: 'the buffer flushed' });
    const [polling] = await open(['polling']);
    expect(transportOf(polling)).toBe('polling');
    expect(directSocketOf(polling)).toBeUndefined();
    client.close();
    await waitFor(() => directSocketOf(socket) === undefined, { what: 'a closed socket refused' });
  });

  it('counts what the TCP socket holds back as backlog', async () => {
    const [socket, client] = await open(['websocket']);
    const got: unknown[] = [];
    client.on('online', (info) => got.push(info));
    await waitFor(() => directSocketOf(socket) !== undefined, { what: 'an idle transport' });
    const raw = directSocketOf(socket);
    if (raw === undefined) throw new Error('no direct socket');
    const frame = eventFrame('online', [{ roomId: 'r', count: 3, peak: 3, viewersEver: 3 }]);
    raw.cork();
    raw.write(frame);
    expect(backlogBytes(socket)).toBe(frame.length);
    // Bytes the kernel refused: its bounded queue is full.
    const probe: DirectProbe = { raw: undefined, kernelFull: false };
    expect(probeDirect(socket, probe)).toBe(frame.length);
    expect(probe).toEqual({ raw, kernelFull: true });
    raw.uncork();
    await waitFor(() => got.length === 1, { what: 'the frame at the client' });
    await waitFor(() => backlogBytes(socket) === 0, { what: 'the kernel took it' });
    expect(probeDirect(socket, probe)).toBe(0);
    expect(probe).toEqual({ raw, kernelFull: false });
  });

  it("hands every event to one listener through socket.io's onAny list, one slot long", async () => {
    const [socket, client] = await open(['websocket']);
    const got: Array<{ self: unknown; event: unknown; args: unknown[] }> = [];
    listenToEveryEvent(socket, function (this: GatewaySocket, event: unknown, ...args: unknown[]) {
      got.push({ self: this, event, args });
    });
    expect((socket as unknown as { _anyListeners: unknown[] })._anyListeners).toHaveLength(1);
    expect(socket.listenersAny()).toHaveLength(1);
    client.emit('hello', 1, 'two');
    await waitFor(() => got.length === 1, { what: 'the event at the listener' });
    expect(got[0]).toEqual({ self: socket, event: 'hello', args: [1, 'two'] });
  });

  it('lets go of the first HTTP request, keeping the handshake, on both transports', async () => {
    for (const transport of ['websocket', 'polling'] as const) {
      const [socket, client] = await open([transport]);
      expect(socket.request).not.toBeNull();
      let collected = false;
      const requests = new FinalizationRegistry(() => {
        collected = true;
      });
      requests.register(socket.request, transport);
      const handshake = socket.handshake;
      releaseFirstRequest(socket);
      expect(socket.request).toBeNull();
      // Nothing else holds it (for a websocket: not the upgrade's response object either).
      await waitFor(
        async () => {
          collectGarbage();
          await new Promise((resolve) => setImmediate(resolve));
          return collected;
        },
        { what: `the ${transport} connection's first request collected` },
      );
      expect(socket.handshake).toBe(handshake);
      expect(socket.handshake.headers.host).toBe(`127.0.0.1:${port}`);
      // The connection carries on both ways without it (a polling client keeps making requests).
      const heard = new Promise<unknown[]>((resolve) =>
        (socket as unknown as Socket).once('hello', (...args: unknown[]) => resolve(args)),
      );
      client.emit('hello', transport);
      expect(await heard).toEqual([transport]);
      const told = new Promise<unknown>((resolve) => client.once('online', resolve));
      socket.emit('online', { roomId: 'r', count: 1, peak: 1, viewersEver: 1 });
      expect(await told).toEqual({ roomId: 'r', count: 1, peak: 1, viewersEver: 1 });
    }
  });

  it('drops a websocket at once, as a lost connection', async () => {
    const [socket, client] = await open(['websocket']);
    const reason = new Promise<string>((resolve) => client.once('disconnect', resolve));
    dropTransport(socket);
    expect(await reason).toBe('transport close');
  });
});
