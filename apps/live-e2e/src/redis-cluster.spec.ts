import { connect, type LiveClient as SdkClient } from '@live-im/client-sdk';
import { ErrorCode, type SendResult } from '@live-im/contracts';
import { LocalRedisCluster, type ClusterNode, waitFor } from '@live-im/testing';
import type { LiveApi, Session } from './support/live-api';
import type { LiveClient } from './support/live-client';
import { LiveCluster, type LiveApp } from './support/live-cluster';
import { clientMsgId, guest, registerUser, roomIdFor } from './support/fixtures';

/**
 * The live system on a real Redis Cluster of 3 masters + 3 replicas (its own, as these tests kill
 * its nodes): rooms on every master, a master killed under load, a whole replica set restarted.
 * The rest of the live suite runs on a cluster with LIVE_IM_TEST_REDIS=cluster (see the README).
 */
describe('the live system on a Redis Cluster', () => {
  let redis: LocalRedisCluster;
  let cluster: LiveCluster;
  let api: LiveApi;
  let owner: Session;
  const sdkClients: SdkClient[] = [];
  /** One room per master: rooms[i] lives on a slot of master i. */
  const rooms: string[] = [];

  /** Room ids until there is one on each master, as the cluster places their hash tag. */
  async function roomsOnEveryMaster(): Promise<string[]> {
    const byMaster = new Map<number, string>();
    for (let tries = 0; byMaster.size < 3 && tries < 200; tries += 1) {
      const roomId = roomIdFor('rc');
      const master = await redis.masterOfSlot(await redis.slotOf(`{${roomId}}`));
      if (!byMaster.has(master.port)) byMaster.set(master.port, roomId);
    }
    return [...byMaster.values()];
  }

  /** Where the broadcast path drops or skips messages, per app: named when a viewer missed a gift. */
  async function lossMetrics(): Promise<string[]> {
    const probes: Array<[LiveApp[], string, Record<string, string>]> = [
      [cluster.roomServices, 'room_service_important_republished_total', {}],
      [cluster.roomServices, 'room_service_publish_dropped_total', {}],
      [cluster.nodes, 'broadcast_node_dropped_total', { reason: 'late' }],
      [cluster.nodes, 'broadcast_node_reorder_gaps_total', {}],
      [cluster.gateways, 'gateway_subscriber_batches_total', { kind: 'gap' }],
      [cluster.gateways, 'gateway_subscriber_batches_total', { kind: 'duplicate' }],
    ];
    return Promise.all(
      probes.map(async ([apps, name, labels]) => {
        const values = await Promise.all(apps.map((app) => app.metric(name, labels)));
        return `${name}${JSON.stringify(labels)} ${values.join(' / ')}`;
      }),
    );
  }

  async function slotMaster(roomId: string): Promise<ClusterNode> {
    return redis.masterOfSlot(await redis.slotOf(`{${roomId}}`));
  }

  beforeAll(async () => {
    redis = await LocalRedisCluster.start({ label: 'live-e2e' });
    cluster = await LiveCluster.start({
      label: 'rcluster',
      env: { REDIS_CLUSTER_NODES: redis.seeds },
      roomEnv: { USER_RATE_POINTS: '100000', USER_RATE_WINDOW_SEC: '1', ROOM_RATE_POINTS: '100000' },
    });
    api = cluster.api(0);
    owner = await registerUser(api, 'owner');
    rooms.push(...(await roomsOnEveryMaster()));
    expect(rooms).toHaveLength(3);
    for (const roomId of rooms) await api.createRoom(roomId, 'on the cluster', owner.user.userId);
  }, 120_000);

  afterAll(async () => {
    for (const sdk of sdkClients) sdk.close();
    await cluster?.close();
    await redis?.stop();
  });

  it('serves rooms on all three masters: order, important lane, history, presence, moderation, receipts', async () => {
    const masters = new Set(await Promise.all(rooms.map(async (roomId) => (await slotMaster(roomId)).port)));
    expect(masters.size).toBe(3);
    for (const [i, roomId] of rooms.entries()) {
      const sender = await registerUser(cluster.api(i % 2), `s${i}`);
      const viewerSession = await registerUser(cluster.api((i + 1) % 2), `v${i}`);
      const { client: talker } = await cluster.joined(i % 2, roomId, { token: sender.token });
      const { client: viewer } = await cluster.joined((i + 1) % 2, roomId, { token: viewerSession.token });

      const chats: SendResult[] = [];
      for (let n = 0; n < 5; n += 1) {
        chats.push(await talker.send('chat', { roomId, text: `chat ${n}`, clientMsgId: clientMsgId() }));
      }
      const gift = await talker.send('gift', {
        roomId,
        giftId: 'rose',
        count: 1,
        clientMsgId: clientMsgId(),
      });
      expect(chats.map((c) => c.seq)).toEqual([1, 2, 3, 4, 5]);
      expect(gift).toMatchObject({ lane: 'important', seq: 1 });
      await viewer.waitForSeq(roomId, 'normal', 5);
      await viewer.waitForSeq(roomId, 'important', 1);
      expect(viewer.seqs(roomId, 'normal')).toEqual([1, 2, 3, 4, 5]);

      const page = await viewer.send('history', { roomId, lane: 'normal', afterSeq: 2, limit: 10 });
      expect(page.messages.map((m) => m.seq)).toEqual([3, 4, 5]);

      await waitFor(async () => (await api.stats(roomId)).online.count === 2, {
        what: `2 online in ${roomId}`,
      });

      // A targeted requireAck push: the recipient's client acks it, the sender gets the receipt.
      const from = { ...sender.user };
      const push = await api.push(roomId, {
        to: [viewerSession.user.userId],
        requireAck: true,
        ackTimeoutSec: 30,
        type: 'signal',
        body: { signal: 'ping' },
        from: { userId: from.userId, nickname: from.nickname, level: from.level, role: from.role },
      });
      await waitFor(
        () => talker.receipts.some((r) => r.messageId === push.messageId && r.status === 'delivered'),
        {
          what: `the receipt in ${roomId}`,
        },
      );

      await api.mute(roomId, sender.user.userId);
      const refused = await talker.request('chat', { roomId, text: 'muted', clientMsgId: clientMsgId() });
      expect(refused).toMatchObject({ ok: false, error: { code: ErrorCode.MUTED } });
    }
  });

  it('loses no acknowledged gift when the master of a busy room is killed -9, and resumes within 10 s', async () => {
    const roomId = rooms[0] ?? '';
    // Raw clients (what a viewer is given live) and SDK clients (which also pull a gap from history).
    const viewers: LiveClient[] = [];
    for (let i = 0; i < 4; i += 1) {
      const session = await guest(cluster.api(i % 2));
      viewers.push((await cluster.joined(i % 2, roomId, { token: session.token })).client);
    }
    const sdkGifts: Array<Set<string>> = [];
    for (let i = 0; i < 2; i += 1) {
      const sdk = connect({
        url: cluster.gateways[i]?.url ?? '',
        token: (await guest(cluster.api(i))).token,
        transports: ['websocket'],
      });
      sdkClients.push(sdk);
      const room = await sdk.joinRoom(roomId);
      const ids = new Set<string>();
      room.on('message', (message) => {
        if (message.lane === 'important') ids.add(message.id);
      });
      sdkGifts.push(ids);
    }
    const senders = await Promise.all(
      [0, 1].map(async (i) => {
        const session = await registerUser(cluster.api(i), `busy${i}`);
        return (await cluster.joined(i, roomId, { token: session.token })).client;
      }),
    );
    const pids = cluster.apps.map((app) => app.process?.pid);

    const acked = new Map<string, SendResult>();
    const failures: Array<{ at: number; code: string }> = [];
    const successesAt: number[] = [];
    let stop = false;
    /** Each sender: chat, then a gift retried with its clientMsgId until acknowledged. */
    const load = senders.map(async (sender, s) => {
      for (let n = 0; !stop; n += 1) {
        const chat = await sender.request('chat', { roomId, text: `c${s}-${n}`, clientMsgId: clientMsgId() });
        if (!chat.ok) failures.push({ at: Date.now(), code: chat.error.code });
        else successesAt.push(Date.now());
        const id = clientMsgId();
        for (let attempt = 0; !stop || attempt === 0; attempt += 1) {
          const ack = await sender.request('gift', { roomId, giftId: 'rose', count: 1, clientMsgId: id });
          if (ack.ok) {
            acked.set(id, ack.data);
            successesAt.push(Date.now());
            break;
          }
          failures.push({ at: Date.now(), code: ack.error.code });
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
    });

    await waitFor(() => acked.size >= 10, { what: '10 gifts acknowledged before the kill' });
    const killedAt = Date.now();
    const { killed, promoted } = await redis.killMasterOf(await redis.slotOf(`{${roomId}}`));
    expect(promoted.port).not.toBe(killed.port);
    // Success again after the kill, within 10 s of it.
    await waitFor(() => successesAt.filter((t) => t > killedAt).length >= 5 && acked.size >= 20, {
      timeoutMs: 10_000,
      intervalMs: 50,
      what: 'sends to succeed again after the failover',
    });
    const recoveredAt = successesAt.find(
      (t) => t > killedAt && failures.some((f) => f.at > killedAt && f.at < t),
    );
    stop = true;
    await Promise.all(load);
    // The killed node comes back as the promoted one's replica (for the next test too).
    await redis.restart(killed);

    // Every failure carried a contract code; the outage answers SERVICE_UNAVAILABLE.
    for (const failure of failures) expect(Object.values(ErrorCode)).toContain(failure.code);
    expect(failures.every((f) => f.at >= killedAt)).toBe(true);
    if (failures.length > 0) expect(failures.map((f) => f.code)).toContain(ErrorCode.SERVICE_UNAVAILABLE);
    if (recoveredAt !== undefined) expect(recoveredAt - killedAt).toBeLessThan(10_000);

    // Every acknowledged gift is in the log and reached every viewer (live, or through history).
    const loggedIds = new Set<string>();
    for (let afterSeq = 0; ; ) {
      const page = await senders[0]?.send('history', { roomId, lane: 'important', afterSeq, limit: 200 });
      const messages = page?.messages ?? [];
      for (const message of messages) loggedIds.add(message.id);
      if (messages.length < 200) break;
      afterSeq = messages[messages.length - 1]?.seq ?? afterSeq;
    }
    for (const result of acked.values()) expect(loggedIds.has(result.messageId)).toBe(true);
    const latest = Math.max(...[...acked.values()].map((r) => r.seq ?? 0));
    // An SDK viewer gets every acknowledged gift: live, or pulled from history when it sees the gap.
    for (const [v, ids] of sdkGifts.entries()) {
      await waitFor(() => [...acked.values()].every((r) => ids.has(r.messageId)), {
        timeoutMs: 30_000,
        what: `SDK viewer ${v} to hold every acknowledged gift (${[...acked.values()].filter((r) => !ids.has(r.messageId)).length} missing)`,
      });
    }
    // A raw viewer gets each live, or sees a later seq, so its gap tells it to pull the (logged) gift.
    for (const [v, viewer] of viewers.entries()) {
      await viewer.waitForSeq(roomId, 'important', latest);
      const seen = new Set(viewer.messages(roomId, 'important').map((m) => m.id));
      const highest = Math.max(0, ...viewer.seqs(roomId, 'important'));
      // Named in the failure: which acknowledged gifts this viewer missed, and whether the log has them.
      const missing = [...acked.values()]
        .filter((r) => !seen.has(r.messageId) && !(loggedIds.has(r.messageId) && (r.seq ?? 0) < highest))
        .map((r) => `${r.messageId} seq ${r.seq} dup ${r.duplicate} logged ${loggedIds.has(r.messageId)}`);
      const diagnosis =
        missing.length === 0
          ? []
          : [`viewer saw seqs ${viewer.seqs(roomId, 'important').join(',')}`, ...(await lossMetrics())];
      expect({ viewer: v, missing, diagnosis }).toEqual({ viewer: v, missing: [], diagnosis: [] });
    }

    // No app restarted: the same processes, all ready.
    expect(cluster.apps.map((app) => app.process?.pid)).toEqual(pids);
    expect((await cluster.health()).every((app) => app.running && app.ready)).toBe(true);
    await redis.waitHealthy();
  }, 90_000);

  it('answers SERVICE_UNAVAILABLE for the rooms of a replica set that is down, serves the others, and recovers', async () => {
    const [downRoom = '', upRoom = ''] = [rooms[1], rooms[2]];
    const sender = await registerUser(api, 'setdown');
    const { client } = await cluster.joined(0, downRoom, { token: sender.token });
    await client.send('join', { roomId: upRoom });
    const master = await slotMaster(downRoom);
    const replicas = await redis.replicasOf(master);
    await Promise.all([master, ...replicas].map((node) => node.kill()));

    await waitFor(
      async () => {
        const ack = await client.request('chat', {
          roomId: downRoom,
          text: 'down?',
          clientMsgId: clientMsgId(),
        });
        return !ack.ok && ack.error.code === ErrorCode.SERVICE_UNAVAILABLE;
      },
      { timeoutMs: 15_000, intervalMs: 200, what: `SERVICE_UNAVAILABLE for ${downRoom}` },
    );
    await client.send('chat', { roomId: upRoom, text: 'still here', clientMsgId: clientMsgId() });

    for (const node of [master, ...replicas]) await redis.restart(node);
    await redis.waitHealthy();
    await waitFor(
      async () =>
        (await client.request('chat', { roomId: downRoom, text: 'back', clientMsgId: clientMsgId() })).ok,
      { timeoutMs: 15_000, intervalMs: 200, what: `${downRoom} to take sends again` },
    );
  }, 90_000);
});
