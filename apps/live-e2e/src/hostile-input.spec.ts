import { createHmac, randomBytes } from 'node:crypto';
import { ErrorCode, MAX_EVENT_BYTES, type Ack } from '@live-im/contracts';
import { waitFor } from '@live-im/testing';
import { ConnectError, type LiveClient } from './support/live-client';
import { LiveCluster } from './support/live-cluster';
import { clientMsgId, guest, registerUser, roomIdFor, runProblems } from './support/fixtures';

/** An HS256 JWT signed with `secret`: the shape of a real token, but not the gateway's key. */
function jwt(claims: Record<string, unknown>, secret: string, alg = 'HS256'): string {
  const part = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  const unsigned = `${part({ alg, typ: 'JWT' })}.${part(claims)}`;
  const signature = alg === 'none' ? '' : createHmac('sha256', secret).update(unsigned).digest('base64url');
  return `${unsigned}.${signature}`;
}

function codeOf(ack: unknown): string | undefined {
  const a = ack as Ack<unknown>;
  return a && a.ok === false ? a.error.code : undefined;
}

describe('hostile input', () => {
  let cluster: LiveCluster;
  const roomId = roomIdFor('hostile');
  let watcher: LiveClient;
  let attacker: LiveClient;
  let userId: string;
  let chatter: LiveClient;
  let chatting = true;
  let chatted = 0;
  let background: Promise<void>;

  beforeAll(async () => {
    cluster = await LiveCluster.start({
      label: 'hostile',
      roomEnv: { USER_RATE_POINTS: '1000', USER_RATE_WINDOW_SEC: '1' },
    });
    const api = cluster.api(0);
    const owner = await registerUser(api, 'owner');
    await api.createRoom(roomId, 'hostile', owner.user.userId);
    watcher = (await cluster.joined(1, roomId, { token: (await guest(cluster.api(1))).token })).client;
    chatter = (
      await cluster.joined(1, roomId, { token: (await registerUser(cluster.api(1), 'chatter')).token })
    ).client;
    const attackerSession = await registerUser(api, 'attacker');
    userId = attackerSession.user.userId;
    attacker = (await cluster.joined(0, roomId, { token: attackerSession.token })).client;
    // The room keeps talking while the attacks run: the watcher must hear all of it.
    background = (async () => {
      while (chatting) {
        const ack = await chatter.send('chat', {
          roomId,
          text: `still here ${chatted}`,
          clientMsgId: clientMsgId(),
        });
        chatted += 1;
        // One chat in flight at a time: the next once the watcher has heard this one.
        await watcher.waitForSeq(roomId, 'normal', ack.seq);
      }
    })();
  }, 60_000);

  afterAll(async () => {
    chatting = false;
    await background?.catch(() => undefined);
    await cluster?.close();
  });

  it('answers INVALID_ARGUMENT to payloads that are not objects, have wrong types or unknown fields', async () => {
    for (const payload of ['hello', 42, null, [roomId], true]) {
      expect(codeOf(await attacker.requestRaw('join', payload))).toBe(ErrorCode.INVALID_ARGUMENT);
      expect(codeOf(await attacker.requestRaw('chat', payload))).toBe(ErrorCode.INVALID_ARGUMENT);
    }
    const wrongTypes: Array<[string, unknown]> = [
      ['join', { roomId: 42 }],
      ['join', { roomId: '../../etc' }],
      ['join', { roomId, resume: { normalSeq: 'x', importantSeq: -1 } }],
      ['chat', { roomId, text: 7, clientMsgId: clientMsgId() }],
      ['chat', { roomId, text: '   ', clientMsgId: clientMsgId() }],
      ['chat', { roomId, text: 'ok', clientMsgId: 'has spaces in it' }],
      ['gift', { roomId, giftId: 'rose', count: 0, clientMsgId: clientMsgId() }],
      ['gift', { roomId, giftId: 'rose', count: 1.5, clientMsgId: clientMsgId() }],
      ['like', { roomId, count: 1000 }],
      ['history', { roomId, lane: 'sideways', afterSeq: 0 }],
      ['history', { roomId, lane: 'normal', afterSeq: -1 }],
      ['onlineList', { roomId, cursor: 'drop table' }],
      ['ack', { messageId: '' }],
    ];
    for (const [event, payload] of wrongTypes) {
      const ack = await attacker.requestRaw(event, payload);
      expect({ event, payload, code: codeOf(ack) }).toEqual({
        event,
        payload,
        code: ErrorCode.INVALID_ARGUMENT,
      });
    }
    // The offending field is named.
    const named = (await attacker.requestRaw('join', { roomId: 42 })) as Ack<unknown>;
    expect(JSON.stringify(named)).toContain('roomId');
    const unknownFields: Array<[string, unknown]> = [
      ['join', { roomId, admin: true }],
      ['chat', { roomId, text: 'hi', clientMsgId: clientMsgId(), from: { userId: 'u_someoneelse' } }],
      ['gift', { roomId, giftId: 'rose', count: 1, clientMsgId: clientMsgId(), price: 0 }],
      ['leave', { roomId, everyone: true }],
    ];
    for (const [event, payload] of unknownFields) {
      const ack = await attacker.requestRaw(event, payload);
      expect({ event, code: codeOf(ack) }).toEqual({ event, code: ErrorCode.INVALID_ARGUMENT });
    }
    // Nothing of that was sent on the attacker's behalf.
    const history = await watcher.send('history', { roomId, lane: 'normal', afterSeq: 0, limit: 200 });
    expect(history.messages.some((m) => m.from.userId === userId)).toBe(false);
  });

  it('answers PAYLOAD_TOO_LARGE to events heavier than MAX_EVENT_BYTES', async () => {
    const text = 'x'.repeat(MAX_EVENT_BYTES + 100);
    expect(codeOf(await attacker.requestRaw('chat', { roomId, text, clientMsgId: clientMsgId() }))).toBe(
      ErrorCode.PAYLOAD_TOO_LARGE,
    );
    const padding = 'p'.repeat(MAX_EVENT_BYTES * 4);
    expect(codeOf(await attacker.requestRaw('join', { roomId, padding }))).toBe(ErrorCode.PAYLOAD_TOO_LARGE);
    // Still connected and served.
    expect(attacker.isConnected).toBe(true);
    await attacker.send('chat', { roomId, text: 'a normal one', clientMsgId: clientMsgId() });
  });

  it('answers NOT_FOUND for rooms that do not exist', async () => {
    expect(codeOf(await attacker.request('join', { roomId: 'no-such-room' }))).toBe(ErrorCode.NOT_FOUND);
    const chat = await attacker.request('chat', {
      roomId: 'no-such-room',
      text: 'hi',
      clientMsgId: clientMsgId(),
    });
    expect(chat.ok).toBe(false);
  });

  it('reports a failure event for a bad event sent without an ack callback', async () => {
    attacker.emitRaw('chat', { roomId, text: 5 });
    await waitFor(() => attacker.failures.some((f) => f.event === 'chat'), { what: 'the failure event' });
    expect(attacker.failures.find((f) => f.event === 'chat')).toMatchObject({
      code: ErrorCode.INVALID_ARGUMENT,
    });
    // Unknown events are ignored, not fatal.
    attacker.emitRaw('nosuchevent', { roomId });
    attacker.emitRaw('__proto__', {});
    await attacker.send('history', { roomId, lane: 'normal', afterSeq: 0, limit: 1 });
  });

  it('refuses forged, garbage and expired tokens at the handshake with UNAUTHENTICATED', async () => {
    const claims = { sub: userId, userId, nickname: 'mallory', role: 'admin', level: 99 };
    const tokens = [
      jwt({ ...claims, exp: Math.floor(Date.now() / 1000) + 3600 }, randomBytes(32).toString('hex')),
      jwt({ ...claims, exp: Math.floor(Date.now() / 1000) + 3600 }, '', 'none'),
      jwt({ ...claims, exp: Math.floor(Date.now() / 1000) + 3600 }, cluster.apiKey),
      'not-a-token',
      'a.b.c',
    ];
    for (const token of tokens) {
      const client = cluster.unconnectedClient(0, { token });
      const error = await client.connected().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ConnectError);
      expect((error as ConnectError).code).toBe(ErrorCode.UNAUTHENTICATED);
      client.close();
    }
  });

  it('refuses the business API without the key and malformed HTTP bodies', async () => {
    const api = cluster.api(0);
    const noKey = await api.result('POST', `/api/rooms/${roomId}/push`, { body: { x: 1 } }, false);
    expect(noKey).toMatchObject({ status: 401, ok: false, error: { code: ErrorCode.UNAUTHENTICATED } });
    const res = await fetch(`${api.baseUrl}/api/rooms/${roomId}/push`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': cluster.apiKey },
      body: '{"body": {',
    });
    expect(res.status).toBe(400);
    const wrong = await api.result('POST', `/api/rooms/${roomId}/push`, { body: 'not an object' }, true);
    expect(wrong).toMatchObject({ status: 400, ok: false, error: { code: ErrorCode.INVALID_ARGUMENT } });
    // Garbage at the Socket.IO transport itself.
    const garbage = await fetch(`${api.baseUrl}/socket.io/?EIO=4&transport=polling&sid=nosuchsession`, {
      method: 'POST',
      body: randomBytes(512),
    });
    expect(garbage.status).toBeGreaterThanOrEqual(400);
  });

  it('crashed nothing: every process ready, the watcher heard every message, a new client is served', async () => {
    chatting = false;
    await background;
    const latest = (await cluster.api(1).stats(roomId)).seqs.normal;
    await watcher.waitForSeq(roomId, 'normal', latest);
    expect(runProblems(watcher.seqs(roomId, 'normal'), 1, latest)).toEqual({ missing: [], repeated: [] });
    expect(watcher.outOfOrder(roomId, 'normal')).toEqual([]);
    expect(watcher.violations).toEqual([]);
    for (const app of await cluster.health())
      expect(app).toEqual({ name: app.name, running: true, ready: true });
    const { client } = await cluster.joined(0, roomId, { token: (await guest(cluster.api(0))).token });
    const after = await chatter.send('chat', { roomId, text: 'after it all', clientMsgId: clientMsgId() });
    await client.waitForSeq(roomId, 'normal', after.seq);
  });
});
