import type { JoinResult, Lane, RoomMessage } from '@live-im/contracts';
import { waitFor } from '@live-im/testing';
import { performance } from 'node:perf_hooks';
import { connect, type ConnectionState, type LiveClient } from './live-client';
import type { LiveError } from './live-error';
import type { RoomHandle } from './room-handle';
import { body, message, messages, run } from './__tests__/messages';
import { ScriptedGateway } from './__tests__/scripted-gateway';

const FAST = { minDelayMs: 20, maxDelayMs: 100, factor: 2, jitter: 0.5 };
/** A loopback port nothing listens on (a gateway that is down). */
const DEAD_URL = 'http://127.0.0.1:9';

// Real sockets on a shared, busy machine: a generous limit per test, above waitFor's own 10 s.
jest.setTimeout(30_000);

function joinAnswer(
  seqs: Record<Lane, number>,
  missed: JoinResult['missed'] = null,
  roomId = 'room-1',
): { ok: true; data: JoinResult } {
  return {
    ok: true,
    data: {
      room: { roomId, title: 'room', ownerId: 'u_owner001', status: 'open', createdAt: 1, closedAt: null },
      online: { roomId, count: 1, peak: 1, viewersEver: 1 },
      seqs,
      recent: { important: messages('important', [seqs.important]).filter((m) => m.seq > 0), normal: [] },
      missed,
    },
  };
}

function emitBatch(
  gateway: ScriptedGateway,
  lane: Lane,
  list: RoomMessage[],
  first = list[0].seq,
  last = list.at(-1)!.seq,
): void {
  for (const socket of gateway.connected) {
    socket.emit(
      'batch',
      { roomId: 'room-1', lane, firstSeq: first, lastSeq: last, count: list.length },
      body(list),
    );
  }
}

/** Everything a room handle emits, in order. */
function record(room: RoomHandle) {
  const messagesSeen: RoomMessage[] = [];
  const gifts: RoomMessage[] = [];
  room.on('message', (m) => messagesSeen.push(m));
  room.on('gift', (m) => gifts.push(m));
  const seqs = (lane: Lane) =>
    messagesSeen.filter((m) => m.lane === lane && m.to === undefined).map((m) => m.seq);
  return { messages: messagesSeen, gifts, seqs };
}

describe('LiveClient against a real Socket.IO server', () => {
  let gateways: ScriptedGateway[] = [];
  let clients: LiveClient[] = [];

  beforeEach(async () => {
    gateways = [await ScriptedGateway.start(), await ScriptedGateway.start()];
  });

  afterEach(async () => {
    for (const client of clients) client.close();
    clients = [];
    await Promise.all(gateways.map((g) => g.close()));
  });

  function client(url: string | string[], extra: Record<string, unknown> = {}): LiveClient {
    const created = connect({
      url,
      reconnect: FAST,
      requestTimeoutMs: 2000,
      transports: ['websocket'],
      ...extra,
    });
    clients.push(created);
    return created;
  }

  it('rotates through the URLs with backoff until one answers', async () => {
    const states: ConnectionState[] = [];
    const errors: LiveError[] = [];
    const c = client([DEAD_URL, gateways[0].url]);
    c.on('state', (s) => states.push(s));
    c.on('error', (e) => errors.push(e));
    await waitFor(() => c.state === 'connected', { what: 'connected' });
    expect(c.url).toBe(gateways[0].url);
    expect(states).toEqual(['connected']);
    expect(errors[0]?.code).toBe('SERVICE_UNAVAILABLE');
  });

  it('stops and reports UNAUTHENTICATED or BANNED handshakes', async () => {
    gateways[0].refuseWith = 'UNAUTHENTICATED';
    const errors: LiveError[] = [];
    const c = client(gateways[0].url, { token: 'expired' });
    c.on('error', (e) => errors.push(e));
    const joining = c.joinRoom('room-1');
    await expect(joining).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(c.state).toBe('closed');
    // Kept: proves no retry happens; 300 ms is three times the longest backoff (FAST.maxDelayMs).
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(gateways[0].handshakes).toBe(1);
    expect(errors.map((e) => e.code)).toEqual(['UNAUTHENTICATED']);
  });

  it('retries other refusals (shutting down, rate limited)', async () => {
    gateways[0].refuseWith = 'SERVICE_UNAVAILABLE';
    const c = client(gateways[0].url);
    await waitFor(() => gateways[0].handshakes >= 2, { what: 'a second handshake' });
    gateways[0].refuseWith = undefined;
    await waitFor(() => c.state === 'connected', { what: 'connected' });
  });

  it('delivers the batches the gateway sends right after the join answer, to listeners attached after joinRoom resolves', async () => {
    const gateway = gateways[0];
    gateway.handlers.join = () => joinAnswer({ normal: 0, important: 5 });
    // The batches it held during the join follow the answer in the same write.
    gateway.afterAck.join = (socket) => {
      socket.emit(
        'batch',
        { roomId: 'room-1', lane: 'important', firstSeq: 5, lastSeq: 7, count: 3 },
        body(messages('important', [5, 6, 7])),
      );
    };
    const c = client(gateway.url);
    const room = await c.joinRoom('room-1');
    const seen = record(room);
    expect(room.info.roomId).toBe('room-1');
    expect(room.recent.important.map((m) => m.seq)).toEqual([5]);
    await waitFor(() => seen.seqs('important').length === 2, { what: 'the held batch' });
    // Seq 5 was in the answer already: not delivered twice.
    expect(seen.seqs('important')).toEqual([6, 7]);
    expect(seen.gifts).toHaveLength(2);
    expect(room.seqs).toEqual({ normal: 0, important: 7 });
    expect(await c.joinRoom('room-1')).toBe(room);
  });

  it('fills a gap between batches with history, and drops duplicates', async () => {
    const gateway = gateways[0];
    gateway.handlers.join = () => joinAnswer({ normal: 0, important: 0 });
    gateway.handlers.history = (_socket, payload) => {
      const after = payload['afterSeq'] as number;
      return {
        ok: true,
        data: {
          roomId: 'room-1',
          lane: payload['lane'],
          messages: messages(payload['lane'] as Lane, run(after + 1, 4)),
          latestSeq: 9,
          oldestSeq: 1,
        },
      };
    };
    const c = client(gateway.url);
    const room = await c.joinRoom('room-1');
    const seen = record(room);
    const gaps: unknown[] = [];
    room.on('gap', (g) => gaps.push(g));
    emitBatch(gateway, 'important', messages('important', [1, 2]));
    emitBatch(gateway, 'important', messages('important', [5, 6]));
    emitBatch(gateway, 'important', messages('important', [5, 6]));
    // The history answer follows the duplicate batch on the one connection: once the lane is
    // filled, the duplicate was read (and dropped) already.
    await waitFor(() => seen.seqs('important').length >= 6, { what: 'the filled lane' });
    expect(seen.seqs('important')).toEqual(run(1, 6));
    expect(gateway.payloads('history')).toEqual([
      { roomId: 'room-1', lane: 'important', afterSeq: 2, limit: 2 },
    ]);
    expect(gaps).toEqual([{ lane: 'important', fromSeq: 3, toSeq: 4, recovered: true }]);
  });

  it('acks a requireAck message once, though the gateway re-delivers it', async () => {
    const gateway = gateways[0];
    gateway.handlers.join = () => joinAnswer({ normal: 0, important: 0 });
    const c = client(gateway.url);
    const room = await c.joinRoom('room-1');
    const seen = record(room);
    const push = message('important', 1, { type: 'custom', requireAck: true });
    emitBatch(gateway, 'important', [push]);
    await waitFor(() => gateway.payloads('ack').length === 1, { what: 'the ack' });
    for (const socket of gateway.connected) socket.emit('direct', push);
    const targeted = message('important', 77, {
      type: 'signal',
      to: ['u_viewer001'],
      requireAck: true,
      id: 'targeted-1',
    });
    for (const socket of gateway.connected) socket.emit('direct', targeted);
    for (const socket of gateway.connected) socket.emit('direct', targeted);
    // Acks leave in the order their messages came: once a later message's ack is in, no second
    // ack of the re-delivered ones can still be on its way.
    const marker = message('important', 78, {
      type: 'signal',
      to: ['u_viewer001'],
      requireAck: true,
      id: 'marker-1',
    });
    for (const socket of gateway.connected) socket.emit('direct', marker);
    await waitFor(() => gateway.payloads('ack').some((p) => p['messageId'] === 'marker-1'), {
      what: 'the marker ack',
    });
    expect(gateway.payloads('ack')).toEqual([
      { messageId: push.id },
      { messageId: 'targeted-1' },
      { messageId: 'marker-1' },
    ]);
    expect(seen.messages.map((m) => m.id)).toEqual([push.id, 'targeted-1', 'marker-1']);
  });

  it('reconnects to another gateway and resumes: missed first, nothing twice', async () => {
    const [first, second] = gateways as [ScriptedGateway, ScriptedGateway];
    first.handlers.join = () => joinAnswer({ normal: 2, important: 3 });
    const c = client([first.url, second.url]);
    const states: ConnectionState[] = [];
    c.on('state', (s) => states.push(s));
    const room = await c.joinRoom('room-1');
    const seen = record(room);
    emitBatch(first, 'important', messages('important', [4, 5]));
    emitBatch(first, 'normal', messages('normal', [3]));
    await waitFor(() => room.seqs.important === 5 && room.seqs.normal === 3, { what: 'live batches' });

    second.afterAck.join = (socket) => {
      socket.emit(
        'batch',
        { roomId: 'room-1', lane: 'important', firstSeq: 9, lastSeq: 9, count: 1 },
        body(messages('important', [9])),
      );
    };
    second.handlers.join = () => {
      return joinAnswer(
        { normal: 4, important: 8 },
        { important: messages('important', [6, 7, 8]), normal: messages('normal', [4]), complete: true },
      );
    };
    first.dropAll();
    await waitFor(() => room.seqs.important === 9, { what: 'the resume' });
    expect(c.url).toBe(second.url);
    expect(second.payloads('join')).toEqual([
      { roomId: 'room-1', resume: { normalSeq: 3, importantSeq: 5 } },
    ]);
    expect(seen.seqs('important')).toEqual(run(4, 9));
    expect(seen.seqs('normal')).toEqual([3, 4]);
    expect(states.slice(-2)).toEqual(['reconnecting', 'connected']);
  });

  it('spreads the clients of a dying gateway over the other gateways at random, with jittered delays', async () => {
    gateways.push(await ScriptedGateway.start(), await ScriptedGateway.start());
    const [dying, ...others] = gateways as [ScriptedGateway, ...ScriptedGateway[]];
    const CLIENTS = 40;
    const many = Array.from({ length: CLIENTS }, () =>
      client(
        gateways.map((g) => g.url),
        { reconnect: { minDelayMs: 1000, maxDelayMs: 5000, factor: 2, jitter: 0.5 } },
      ),
    );
    await waitFor(() => many.every((c) => c.state === 'connected'), { what: 'every client connected' });
    // Listed first, so every client starts on it.
    expect(dying.connected).toHaveLength(CLIENTS);
    const diedAt = performance.now();
    await dying.close();
    await waitFor(() => others.reduce((sum, g) => sum + g.connected.length, 0) === CLIENTS, {
      timeoutMs: 10_000,
      what: 'every client reconnected to another gateway',
    });
    expect(many.every((c) => c.state === 'connected' && c.url !== dying.url)).toBe(true);
    const landed = others.map((g) => g.connected.length);
    expect(landed.reduce((a, b) => a + b, 0)).toBe(CLIENTS);
    // Not all on the next gateway of the list: each of the others took a share.
    for (const count of landed) expect(count).toBeGreaterThan(0);
    expect(Math.max(...landed)).toBeLessThan(CLIENTS);
    // The first reconnect delay is drawn from [500, 1000] ms, not one instant for all (a wide band,
    // so that a busy machine's stalls cannot squeeze it).
    const delays = others.flatMap((g) => g.handshakeTimes.map((t) => t - diedAt));
    expect(delays).toHaveLength(CLIENTS);
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(490);
    expect(Math.max(...delays) - Math.min(...delays)).toBeGreaterThan(200);
  });

  it('waits out the retryAfterMs of a rate-limited handshake', async () => {
    const gateway = gateways[0];
    gateway.refuseWith = 'RATE_LIMITED';
    gateway.refuseDetails = { limit: 'address_rate', retryAfterMs: 600 };
    const errors: LiveError[] = [];
    const c = client(gateway.url);
    c.on('error', (e) => errors.push(e));
    await waitFor(() => gateway.handshakes >= 1, { what: 'the first handshake' });
    gateway.refuseWith = undefined;
    await waitFor(() => c.state === 'connected', { what: 'connected' });
    const [first, second] = gateway.handshakeTimes as [number, number];
    // FAST backoff alone would retry within 20 ms.
    expect(second - first).toBeGreaterThanOrEqual(590);
    expect(errors[0]).toMatchObject({
      code: 'RATE_LIMITED',
      details: { limit: 'address_rate', retryAfterMs: 600 },
    });
  });

  it('retries a send with the same clientMsgId after a transient failure and after a dropped connection', async () => {
    const [first, second] = gateways as [ScriptedGateway, ScriptedGateway];
    for (const g of gateways) g.handlers.join = () => joinAnswer({ normal: 0, important: 0 });
    let chats = 0;
    first.handlers.chat = () => {
      chats += 1;
      return { ok: false, error: { code: 'WORKER_LOST', message: 'worker died' } };
    };
    const c = client([first.url, second.url]);
    const room = await c.joinRoom('room-1');
    first.handlers.gift = () => {
      // Never answered: the connection drops under it, once this handler has returned.
      setImmediate(() => first.dropAll());
      return undefined;
    };
    second.handlers.gift = () => ({
      ok: true,
      data: { messageId: 'g1', lane: 'important', seq: 1, duplicate: true },
    });
    second.handlers.chat = () => ({
      ok: true,
      data: { messageId: 'c1', lane: 'normal', seq: 1, duplicate: false },
    });

    const gift = await room.sendGift('rose', 2);
    expect(gift).toEqual({ messageId: 'g1', lane: 'important', seq: 1, duplicate: true });
    const sentGift = [...first.payloads('gift'), ...second.payloads('gift')];
    expect(sentGift).toHaveLength(2);
    expect(new Set(sentGift.map((p) => p['clientMsgId'])).size).toBe(1);

    const chat = await room.sendChat('hello');
    expect(chat.seq).toBe(1);
    expect(chats).toBe(0);
    expect(second.payloads('chat')).toHaveLength(1);
  });

  it('gives a transient error back after the bounded retries, with its code', async () => {
    const gateway = gateways[0];
    gateway.handlers.join = () => joinAnswer({ normal: 0, important: 0 });
    gateway.handlers.chat = () => ({
      ok: false,
      error: { code: 'SERVICE_UNAVAILABLE', message: 'no worker' },
    });
    gateway.handlers.gift = () => ({
      ok: false,
      error: { code: 'MUTED', message: 'muted', details: { until: 5 } },
    });
    const c = client(gateway.url, { sendRetries: 2 });
    const room = await c.joinRoom('room-1');
    await expect(room.sendChat('hi')).rejects.toMatchObject({
      name: 'LiveError',
      code: 'SERVICE_UNAVAILABLE',
    });
    expect(gateway.payloads('chat')).toHaveLength(3);
    await expect(room.sendGift('rose')).rejects.toMatchObject({ code: 'MUTED', details: { until: 5 } });
    expect(gateway.payloads('gift')).toHaveLength(1);
    await expect(room.sendChat('')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(gateway.payloads('chat')).toHaveLength(3);
  });

  it('times out an unanswered request with DEADLINE_EXCEEDED', async () => {
    const gateway = gateways[0];
    gateway.handlers.join = () => joinAnswer({ normal: 0, important: 0 });
    gateway.handlers.onlineList = () => undefined;
    const c = client(gateway.url, { requestTimeoutMs: 200, sendRetries: 0 });
    const room = await c.joinRoom('room-1');
    await expect(room.onlineList()).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED' });
  });

  it('reports a malformed batch as an error without throwing, and pulls its range', async () => {
    const gateway = gateways[0];
    gateway.handlers.join = () => joinAnswer({ normal: 0, important: 0 });
    gateway.handlers.history = () => ({
      ok: true,
      data: {
        roomId: 'room-1',
        lane: 'normal',
        messages: messages('normal', [1, 2]),
        latestSeq: 2,
        oldestSeq: 1,
      },
    });
    const c = client(gateway.url);
    const errors: LiveError[] = [];
    c.on('error', (e) => errors.push(e));
    const room = await c.joinRoom('room-1');
    const seen = record(room);
    for (const socket of gateway.connected) {
      socket.emit(
        'batch',
        { roomId: 'room-1', lane: 'normal', firstSeq: 1, lastSeq: 2, count: 2 },
        Buffer.from('not json'),
      );
      socket.emit('batch', { roomId: 'room-1', lane: 'normal' }, Buffer.from('[]'));
    }
    await waitFor(() => seen.seqs('normal').length === 2, { what: 'the pulled range' });
    expect(errors.map((e) => e.code)).toEqual(['INTERNAL', 'INTERNAL']);
    expect(c.state).toBe('connected');
  });

  it('ends the room on kicked and roomClosed but keeps the connection', async () => {
    const gateway = gateways[0];
    gateway.handlers.join = (_s, payload) =>
      joinAnswer({ normal: 0, important: 0 }, null, payload['roomId'] as string);
    const c = client(gateway.url);
    const a = await c.joinRoom('room-1');
    const b = await c.joinRoom('room-2');
    const ended: string[] = [];
    a.on('kicked', (e) => ended.push(`kicked ${e.roomId} ${e.reason}`));
    b.on('closed', (e) => ended.push(`closed ${e.roomId} ${e.reason}`));
    for (const socket of gateway.connected) {
      socket.emit('kicked', { roomId: 'room-1', reason: 'spam' });
      socket.emit('roomClosed', { roomId: 'room-2', reason: 'show over' });
    }
    await waitFor(() => ended.length === 2, { what: 'both rooms to end' });
    expect(ended).toEqual(['kicked room-1 spam', 'closed room-2 show over']);
    expect(a.active).toBe(false);
    expect(c.rooms).toEqual([]);
    expect(c.state).toBe('connected');
    await expect(a.sendChat('still here?')).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });

  it('never reconnects after close()', async () => {
    const gateway = gateways[0];
    const c = client(gateway.url);
    await waitFor(() => c.state === 'connected', { what: 'connected' });
    c.close();
    // Kept: proves no reconnect happens; 300 ms is three times the longest backoff (FAST.maxDelayMs).
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(gateway.handshakes).toBe(1);
    expect(c.state).toBe('closed');
    await expect(c.joinRoom('room-1')).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
  });

  it('rejects bad options with INVALID_ARGUMENT', () => {
    expect(() => connect({ url: [] })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => connect({ url: 'http://x', reconnect: { minDelayMs: 10, maxDelayMs: 5 } })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });
});
