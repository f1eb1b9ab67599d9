import type { BatchInfo } from '@live-im/contracts';
import { waitFor } from '@live-im/testing';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo, Socket as NetSocket } from 'node:net';
import { Server, type Socket } from 'socket.io';
import { io as connect, type Socket as ClientSocket } from 'socket.io-client';
import { directSocketOf } from './engine-internals';
import { eventFrame, FrameSet, OutEvent, textFrame } from './event-frames';
import type { GatewaySocket } from './socket-types';

/** Bodies that test the encoding: escapes, multi-byte and astral characters, U+2028/2029, lone surrogates. */
const BODIES: Array<[string, string]> = [
  ['plain', JSON.stringify([{ seq: 1, text: 'hello' }])],
  ['escapes', JSON.stringify([{ text: 'quote " backslash \\ tab \t newline \n nul \u0000 ctrl \u001f' }])],
  ['unicode', JSON.stringify([{ text: 'café 弹幕 🎁🚀 𝄞', nick: 'Ünïcødé' }])],
  ['line separators', JSON.stringify([{ text: 'a\u2028b\u2029c' }])],
  ['lone surrogates', `[{"text":"${'\ud83d'}x${'\udc00'}"}]`],
  ['126..65535 bytes', JSON.stringify([{ text: 'x'.repeat(1000) }])],
  ['over 65535 bytes', JSON.stringify([{ text: '🎁'.repeat(20_000) }])],
];

function info(lane: 'normal' | 'important', seq: number): BatchInfo {
  return { roomId: 'room-1', lane, firstSeq: seq, lastSeq: seq, count: 1 };
}

describe('pre-built event frames', () => {
  let http: HttpServer;
  let server: Server;
  let client: ClientSocket;
  let socket: Socket;
  const received: unknown[][] = [];

  beforeAll(async () => {
    http = createServer();
    server = new Server(http, { perMessageDeflate: false, transports: ['websocket'] });
    const connected = new Promise<Socket>((resolve) => server.once('connection', resolve));
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const { port } = http.address() as AddressInfo;
    client = connect(`http://127.0.0.1:${port}`, { transports: ['websocket'], reconnection: false });
    client.onAny((...args: unknown[]) => received.push(args));
    socket = await connected;
    await waitFor(() => client.connected, { what: 'the client connected' });
  });

  afterAll(async () => {
    client?.close();
    await server?.close();
  });

  /** Until engine.io has handed everything to ws and ws to the TCP socket (its send callbacks ran). */
  async function idle(): Promise<void> {
    await waitFor(
      () =>
        socket.conn.transport.writable && directSocketOf(socket as unknown as GatewaySocket) !== undefined,
      { what: 'an idle transport' },
    );
  }

  /** What ws hands to the TCP socket while `act` runs. */
  function bytesWritten(act: () => void): Buffer {
    const raw = directSocketOf(socket as unknown as GatewaySocket);
    if (raw === undefined) throw new Error('the socket cannot be written directly');
    const chunks: Buffer[] = [];
    const write = raw.write.bind(raw);
    const spy = jest.spyOn(raw, 'write').mockImplementation(((chunk: Buffer, ...rest: never[]) => {
      chunks.push(Buffer.from(chunk));
      return write(chunk, ...rest);
    }) as NetSocket['write']);
    try {
      act();
    } finally {
      spy.mockRestore();
    }
    return Buffer.concat(chunks);
  }

  /** Waits until the client has everything sent so far (a marker event behind it), and clears it. */
  async function settle(): Promise<void> {
    const marker = { roomId: 'marker', reason: `${Math.random()}` };
    socket.emit('kicked', marker);
    const isMarker = ([event, arg]: unknown[]): boolean =>
      event === 'kicked' && JSON.stringify(arg) === JSON.stringify(marker);
    await waitFor(() => received.some(isMarker), { what: 'the marker at the client' });
    received.length = 0;
  }

  /** The events the client gets for what `act` sends. */
  async function nextEvents(act: () => void): Promise<unknown[][]> {
    await settle();
    await idle();
    act();
    socket.emit('kicked', { roomId: 'end', reason: 'end' });
    await waitFor(() => received.some(([event]) => event === 'kicked'), { what: 'the end marker' });
    return received.splice(0).slice(0, -1);
  }

  it.each(BODIES)(
    '%s: the same bytes as socket.io + engine.io + ws write for emit, both lanes',
    async (_name, body) => {
      for (const lane of ['normal', 'important'] as const) {
        const args = [info(lane, 7), body] as const;
        await idle();
        const emitted = bytesWritten(() => socket.emit('batch', ...args));
        expect(eventFrame('batch', args)).toEqual(emitted);
      }
    },
  );

  it.each(BODIES)('%s: decodes at a socket.io-client to what emit delivers', async (_name, body) => {
    for (const lane of ['normal', 'important'] as const) {
      const args = [info(lane, 9), body] as const;
      const viaEmit = await nextEvents(() => socket.emit('batch', ...args));
      const viaFrame = await nextEvents(() => {
        directSocketOf(socket as unknown as GatewaySocket)?.write(eventFrame('batch', args));
      });
      expect(viaFrame).toEqual(viaEmit);
      expect(viaFrame).toEqual([['batch', ...args]]);
    }
  });

  it('sends the events of a frame set in order in one write, and builds each frame once', async () => {
    const online = OutEvent.of('online', { roomId: 'room-1', count: 3, peak: 4, viewersEver: 9 });
    const batch = OutEvent.of('batch', info('important', 1), '[{"seq":1}]');
    const closed = OutEvent.of('roomClosed', { roomId: 'room-1', reason: 'over' });
    const set = new FrameSet([batch, online, closed]);
    expect(set.buffer).toBe(set.buffer);
    expect(new FrameSet([batch]).buffer).toBe(batch.frame);
    let writes = 0;
    const events = await nextEvents(() => {
      writes = bytesWritten(() =>
        directSocketOf(socket as unknown as GatewaySocket)?.write(set.buffer),
      ).length;
    });
    expect(writes).toBe(set.buffer.length);
    expect(events).toEqual([
      ['batch', info('important', 1), '[{"seq":1}]'],
      ['online', { roomId: 'room-1', count: 3, peak: 4, viewersEver: 9 }],
      ['roomClosed', { roomId: 'room-1', reason: 'over' }],
    ]);
  });

  it('frames lengths at the 7, 16 and 64-bit boundaries as RFC 6455 says', () => {
    expect([...textFrame('x'.repeat(125)).subarray(0, 2)]).toEqual([0x81, 125]);
    expect([...textFrame('x'.repeat(126)).subarray(0, 4)]).toEqual([0x81, 126, 0, 126]);
    expect([...textFrame('x'.repeat(65_535)).subarray(0, 4)]).toEqual([0x81, 126, 0xff, 0xff]);
    expect([...textFrame('x'.repeat(65_536)).subarray(0, 10)]).toEqual([0x81, 127, 0, 0, 0, 0, 0, 1, 0, 0]);
  });
});
