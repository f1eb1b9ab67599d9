import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { testRedisUrl, waitFor } from '@live-im/testing';
import {
  type BatchInfo,
  DocClient,
  type ErrorBody,
  type HistoryData,
  type JoinData,
  type SendData,
  waitForCursor,
} from './support/doc-client';
import { clientMsgId, inBatches, registerUser, roomIdFor } from './support/fixtures';
import { LiveCluster } from './support/live-cluster';
import { PausableProxy } from './support/pausable-proxy';

/**
 * docs/socket-protocol.md, tried as a third party would: a client written from the page alone
 * (support/doc-client.ts: raw socket.io-client, no SDK, no contracts) against the real system.
 * The gateways reach Redis through a proxy the test can pause, which holds a join in flight
 * (its presence read waits) while messages are published: the "held batches" case on demand.
 */
describe('the Socket.IO protocol as documented', () => {
  let cluster: LiveCluster;
  let redisProxy: PausableProxy;
  const clients: DocClient[] = [];
  const roomId = roomIdFor('proto');

  function client(gateway: number, token?: string, extra: { dropBatch?: (info: BatchInfo) => boolean } = {}) {
    const app = cluster.gateways[gateway];
    if (!app) throw new Error(`no gateway ${gateway}`);
    const created = new DocClient(app.url, { token, ...extra });
    clients.push(created);
    return created;
  }

  async function sender(label: string, gateway = 0, room = roomId): Promise<DocClient> {
    const session = await registerUser(cluster.api(), label);
    const created = client(gateway, session.token);
    await created.connected();
    await created.send<JoinData>('join', { roomId: room });
    return created;
  }

  beforeAll(async () => {
    const redis = new URL(testRedisUrl());
    redisProxy = await PausableProxy.start(redis.hostname, Number(redis.port || 6379));
    const proxied = new URL(testRedisUrl());
    proxied.hostname = '127.0.0.1';
    proxied.port = String(redisProxy.port);
    cluster = await LiveCluster.start({ label: 'proto', gatewayEnv: { REDIS_URL: proxied.toString() } });
    const owner = await registerUser(cluster.api(), 'owner');
    await cluster.api().createRoom(roomId, 'protocol', owner.user.userId);
  }, 60_000);

  afterAll(async () => {
    redisProxy?.resume();
    for (const c of clients) c.close();
    await cluster?.close();
    await redisProxy?.close();
  });

  describe('handshake', () => {
    it('makes a client without a token an anonymous viewer, who may watch but not send', async () => {
      const viewer = client(0);
      await viewer.connected();
      const join = await viewer.send<JoinData>('join', { roomId });
      expect(join.room.roomId).toBe(roomId);
      const chat = await viewer.request<SendData>('chat', { roomId, text: 'hi', clientMsgId: clientMsgId() });
      expect(chat).toEqual({ ok: false, error: { code: 'FORBIDDEN', message: expect.any(String) } });
    });

    it('refuses a bad and an expired token with connect_error UNAUTHENTICATED', async () => {
      const bad = await client(0, 'not-a-token').refusal();
      expect(bad.data).toEqual({ code: 'UNAUTHENTICATED' });
      const session = await registerUser(cluster.api(), 'expired');
      const expired = await client(0, expiredToken(session.user.userId, cluster.jwtSecret)).refusal();
      expect(expired.data).toEqual({ code: 'UNAUTHENTICATED' });
      expect(expired.message).toEqual(expect.any(String));
    });
  });

  describe('acks', () => {
    it('carries errors inside the ack as {ok: false, error: {code, message, details?}}', async () => {
      const viewer = client(0);
      await viewer.connected();
      expect(await viewer.request('join', { roomId: 'no-such-room-here' })).toEqual({
        ok: false,
        error: { code: 'NOT_FOUND', message: expect.any(String) },
      });
      expect(await viewer.request('history', { roomId, lane: 'normal', afterSeq: 0 })).toEqual({
        ok: false,
        error: { code: 'FORBIDDEN', message: expect.any(String) },
      });
      const invalid = (await viewer.request('join', { roomId, extra: 1 })) as { ok: false; error: ErrorBody };
      expect(invalid.error.code).toBe('INVALID_ARGUMENT');
      expect(invalid.error.details?.['fields']).toEqual(expect.any(Array));
    });

    it('answers an event sent without an ack callback with a failure event, unprocessed', async () => {
      const viewer = client(0);
      await viewer.connected();
      viewer.emitWithoutAck('join', { roomId });
      await waitFor(() => viewer.failures.length === 1, { what: 'the failure event' });
      expect(viewer.failures[0]).toEqual({
        event: 'join',
        code: 'INVALID_ARGUMENT',
        message: expect.any(String),
      });
      // Not joined: the join was not processed.
      expect((await viewer.request('history', { roomId, lane: 'normal', afterSeq: 0 })).ok).toBe(false);
    });
  });

  it('joins: batches continue from the ack seqs + 1, and a send acks its seq', async () => {
    const alice = await sender('alice');
    const viewer = client(1);
    await viewer.connected();
    const room = viewer.room(roomId);
    const join = await room.join();
    if (!join.ok) throw new Error(join.error.code);
    const ids = [clientMsgId(), clientMsgId(), clientMsgId()];
    const sent: SendData[] = [];
    for (const [i, id] of ids.entries()) {
      sent.push(await alice.send<SendData>('chat', { roomId, text: `hello ${i}`, clientMsgId: id }));
    }
    sent.push(
      await alice.send<SendData>('gift', { roomId, giftId: 'rose', count: 2, clientMsgId: clientMsgId() }),
    );
    expect(sent.map((s) => s.lane)).toEqual(['normal', 'normal', 'normal', 'important']);
    expect(sent.slice(0, 3).map((s) => s.seq)).toEqual([1, 2, 3].map((i) => join.data.seqs.normal + i));
    await waitForCursor(room, 'normal', join.data.seqs.normal + 3);
    await waitForCursor(room, 'important', join.data.seqs.important + 1);
    expect(room.seqs('normal')).toEqual([1, 2, 3].map((i) => join.data.seqs.normal + i));
    expect(room.delivered.normal.map((m) => m.body['text'])).toEqual(['hello 0', 'hello 1', 'hello 2']);
    expect(room.delivered.important[0]).toMatchObject({ type: 'gift', body: { giftId: 'rose', count: 2 } });
    // A repeated clientMsgId is not sent again: the first send's id and seq, marked duplicate.
    const again = await alice.send<SendData>('chat', { roomId, text: 'hello 0', clientMsgId: ids[0] });
    expect(again).toEqual({ ...sent[0], duplicate: true });
  });

  it('sends the join ack before the batches held while the join was answered, and nothing twice', async () => {
    // A room gateway 0 has never seen: its join asks room-service (no edge cache yet) and reads
    // the online figures from Redis (no room state reached it yet). Bob sends through gateway 1.
    const heldRoomId = roomIdFor('protoheld');
    const owner = await registerUser(cluster.api(), 'heldowner');
    await cluster.api().createRoom(heldRoomId, 'held join', owner.user.userId);
    const bob = await sender('bob', 1, heldRoomId);
    const viewer = client(0);
    await viewer.connected();
    const room = viewer.room(heldRoomId);
    const gateway = cluster.gateways[0];
    if (!gateway) throw new Error('no gateway 0');
    const joinCalls = (): Promise<number> =>
      gateway.metric('gateway_rpc_duration_seconds_count', { pattern: 'room.join' });
    const batchesIn = (): Promise<number> =>
      gateway.metric('gateway_subscriber_batches_total', { kind: 'delivered' });
    const joinsBefore = await joinCalls();
    // The gateway's Redis is held: the join's presence read waits, so the join stays in flight.
    redisProxy.pause();
    let joining: Promise<Awaited<ReturnType<typeof room.join>>> | undefined;
    const sent: SendData[] = [];
    try {
      const batchesBefore = await batchesIn();
      joining = room.join();
      // room.join has answered (its seqs are read); only the presence read holds the answer back.
      await waitFor(async () => (await joinCalls()) > joinsBefore, {
        what: 'room.join to answer the gateway',
      });
      for (let i = 0; i < 3; i += 1)
        sent.push(
          await bob.send<SendData>('chat', {
            roomId: heldRoomId,
            text: `while joining ${i}`,
            clientMsgId: clientMsgId(),
          }),
        );
      sent.push(
        await bob.send<SendData>('gift', {
          roomId: heldRoomId,
          giftId: 'rose',
          count: 1,
          clientMsgId: clientMsgId(),
        }),
      );
      // Bob (gateway 1) has them, and gateway 0's subscriber took batches of both lanes in since
      // the join began: the gateway holds them for the viewer.
      const bobRoom = bob.log;
      await waitFor(
        async () =>
          bobRoom.some((l) => l.includes(` normal `) && Number(l.split('-').pop()) >= (sent[2]?.seq ?? 0)) &&
          bobRoom.some(
            (l) => l.includes(` important `) && Number(l.split('-').pop()) >= (sent[3]?.seq ?? 0),
          ) &&
          (await batchesIn()) >= batchesBefore + 2,
        { what: 'the sends to reach the gateway' },
      );
      expect(viewer.log).toEqual([]);
    } finally {
      redisProxy.resume();
    }
    const join = await joining;
    if (!join.ok) throw new Error(`join answered ${join.error.code}`);
    const normal = sent.slice(0, 3).map((s) => s.seq);
    // Published after the join's seqs were read, before its answer.
    expect(Math.min(...normal)).toBe(join.data.seqs.normal + 1);
    await waitForCursor(room, 'normal', Math.max(...normal));
    await waitForCursor(room, 'important', sent[3]?.seq ?? 0);
    // The order the page promises: the ack, then the held batches continuing from its seqs.
    expect(viewer.log[0]).toBe(`ack join ${heldRoomId}`);
    expect(viewer.log.slice(1).every((l) => l.startsWith(`batch ${heldRoomId}`))).toBe(true);
    expect(viewer.log.length).toBeGreaterThan(1);
    expect(room.seqs('normal')).toEqual(normal);
    expect(room.seqs('important')).toEqual([sent[3]?.seq]);
    expect(room.gaps).toEqual([]);
  });

  it('resumes: what was missed comes in the join ack, then live batches follow', async () => {
    const carol = await sender('carol');
    const session = await registerUser(cluster.api(), 'resumer');
    const first = client(0, session.token);
    await first.connected();
    const before = first.room(roomId);
    const join = await before.join();
    if (!join.ok) throw new Error(join.error.code);
    const cursor = { ...before.cursor };
    first.close();

    const missed: SendData[] = [];
    for (let i = 0; i < 3; i += 1)
      missed.push(
        await carol.send<SendData>('chat', { roomId, text: `away ${i}`, clientMsgId: clientMsgId() }),
      );
    missed.push(
      await carol.send<SendData>('gift', { roomId, giftId: 'rose', count: 1, clientMsgId: clientMsgId() }),
    );

    // Back on the other gateway, from where it stood.
    const second = client(1, session.token);
    await second.connected();
    const room = second.room(roomId);
    const resumed = await room.join(cursor);
    if (!resumed.ok) throw new Error(resumed.error.code);
    expect(resumed.data.missed?.complete).toBe(true);
    // The gateway answers from what it has delivered so far (its edge cache): `missed` runs up to
    // the ack's `seqs`, and what was logged after reaches the client as live batches right after.
    const inAck = resumed.data.missed?.normal.map((m) => m.seq) ?? [];
    expect(inAck).toEqual(missed.slice(0, inAck.length).map((s) => s.seq));
    const live = await carol.send<SendData>('chat', { roomId, text: 'back', clientMsgId: clientMsgId() });
    expect(live.seq).toBe((missed[2]?.seq ?? 0) + 1);
    await waitForCursor(room, 'normal', live.seq);
    await waitForCursor(room, 'important', missed[3]?.seq ?? 0);
    // Every missed message once, in order, then the live one; nothing pulled as a gap.
    expect(room.seqs('normal')).toEqual([...missed.slice(0, 3).map((s) => s.seq), live.seq]);
    expect(room.seqs('important')).toEqual([missed[3]?.seq]);
    expect(room.gaps).toEqual([]);
  });

  it('fills a lost batch through history', async () => {
    const dave = await sender('dave');
    let normalBatches = 0;
    // The network loses the second normal batch this client receives.
    const viewer = client(1, undefined, {
      dropBatch: (info) => info.lane === 'normal' && (normalBatches += 1) === 2,
    });
    await viewer.connected();
    const room = viewer.room(roomId);
    const join = await room.join();
    if (!join.ok) throw new Error(join.error.code);
    const seqs: number[] = [];
    for (let i = 0; i < 4; i += 1) {
      const sent = await dave.send<SendData>('chat', {
        roomId,
        text: `gap ${i}`,
        clientMsgId: clientMsgId(),
      });
      seqs.push(sent.seq);
      // Apart, so each leaves in a batch of its own.
      await waitFor(() => viewer.log.some((l) => l.endsWith(`-${sent.seq}`)), {
        what: `seq ${sent.seq} to arrive`,
      });
    }
    await waitForCursor(room, 'normal', seqs[3] ?? 0);
    expect(room.seqs('normal')).toEqual(seqs);
    expect(room.gaps).toEqual([{ lane: 'normal', from: seqs[1], to: seqs[1], filled: 1 }]);
    // The gap-fill read as the page shows it.
    const page = await viewer.send<HistoryData>('history', {
      roomId,
      lane: 'normal',
      afterSeq: seqs[0],
      limit: 1,
    });
    expect(page.messages.map((m) => m.seq)).toEqual([seqs[1]]);
    expect(page.latestSeq).toBeGreaterThanOrEqual(seqs[3] ?? 0);
  });

  it('limits sends to 10 per 5 s per user, then RATE_LIMITED with retryAfterMs', async () => {
    const eve = await sender('eve');
    const replies = [];
    for (let i = 0; i < 11; i += 1)
      replies.push(
        await eve.request<SendData>('chat', { roomId, text: `flood ${i}`, clientMsgId: clientMsgId() }),
      );
    const limited = replies.filter((r) => !r.ok);
    // A 5 s window may turn over mid-run on a slow machine: then the budget starts again.
    expect(limited.length).toBeLessThanOrEqual(1);
    if (limited.length === 0) return;
    expect(replies.slice(0, 10).every((r) => r.ok)).toBe(true);
    expect(replies[10]).toEqual({
      ok: false,
      error: {
        code: 'RATE_LIMITED',
        message: expect.any(String),
        details: { retryAfterMs: expect.any(Number) },
      },
    });
  });

  it('counts a room batch once in gateway_batches_out_total, however many sockets it went to', async () => {
    const crowdRoom = roomIdFor('crowd');
    const owner = await registerUser(cluster.api(), 'crowd');
    await cluster.api().createRoom(crowdRoom, 'crowd', owner.user.userId);
    const gateway = cluster.gateways[1];
    if (!gateway) throw new Error('no gateway 1');
    // More than one 64-socket write chunk.
    const viewers = await inBatches(Array.from({ length: 150 }), 10, async () => {
      const viewer = client(1);
      await viewer.connected();
      await viewer.send<JoinData>('join', { roomId: crowdRoom });
      return viewer;
    });
    const batchesBefore = await gateway.metric('gateway_batches_out_total', { lane: 'important' });
    const writesBefore = await gateway.metric('gateway_batch_writes_total', { lane: 'important' });
    await cluster.api().push(crowdRoom, { lane: 'important', body: { n: 1 } });
    await waitFor(
      () => viewers.every((v) => v.log.some((l) => l.startsWith(`batch ${crowdRoom} important`))),
      {
        what: 'every viewer to get the push',
      },
    );
    await waitFor(
      async () =>
        (await gateway.metric('gateway_batch_writes_total', { lane: 'important' })) - writesBefore === 150,
      { what: '150 socket writes counted' },
    );
    expect((await gateway.metric('gateway_batches_out_total', { lane: 'important' })) - batchesBefore).toBe(
      1,
    );
  });

  it('derives the connection limit from the open-files limit of the gateway process', async () => {
    const gateway = cluster.gateways[0];
    const pid = gateway?.process?.pid;
    if (gateway === undefined || pid === undefined) throw new Error('no gateway 0');
    const line = readFileSync(`/proc/${pid}/limits`, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = Number(line?.slice('Max open files'.length).trim().split(/\s+/)[0]);
    expect(soft).toBeGreaterThan(0);
    // The page: the soft limit less the larger of 256 and a tenth of it.
    const expected = Math.max(1, soft - Math.max(256, Math.ceil(soft / 10)));
    expect(await gateway.metric('gateway_connection_limit')).toBe(expected);
  });
});

/** A session token as user-service issues them (HS256 JWT), expired a minute ago. */
function expiredToken(userId: string, secret: string): string {
  const now = Math.floor(Date.now() / 1000);
  const encode = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  const head = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode({
    sub: userId,
    nick: 'expired',
    role: 'user',
    lvl: 0,
    iat: now - 3600,
    exp: now - 60,
  })}`;
  return `${head}.${createHmac('sha256', secret).update(head).digest('base64url')}`;
}
