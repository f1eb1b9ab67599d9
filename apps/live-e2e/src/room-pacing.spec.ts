import { performance } from 'node:perf_hooks';
import { sleep, waitFor } from '@live-im/testing';
import type { LiveClient } from './support/live-client';
import { LiveCluster } from './support/live-cluster';
import { clientMsgId, guest, isRun, registerUser, roomIdFor } from './support/fixtures';

/** The pace a room gets once it has PACE_FULL_SOCKETS local sockets (this test's rooms do). */
const PACE_MS = 300;
const PACE_FULL_SOCKETS = 2;
const CHATS = 60;
const CHAT_EVERY_MS = 20;

/**
 * Flow control by room size at the gateway (docs/architecture.md): a big room's normal batches
 * start a fan-out at most once per pace, joined in between, and nothing is lost or reordered;
 * important messages are never paced. The thresholds are lowered so that three sockets make a
 * "big" room.
 */
describe('normal batches of a big room, paced at the gateway', () => {
  let cluster: LiveCluster;
  const roomId = roomIdFor('pace');
  let sender: LiveClient;
  let viewer: LiveClient;

  beforeAll(async () => {
    cluster = await LiveCluster.start({
      label: 'pace',
      gateways: 1,
      gatewayEnv: {
        NORMAL_PACE_MAX_MS: String(PACE_MS),
        NORMAL_PACE_FULL_SOCKETS: String(PACE_FULL_SOCKETS),
      },
      roomEnv: { USER_RATE_POINTS: '1000', USER_RATE_WINDOW_SEC: '1' },
    });
    const api = cluster.api();
    const owner = await registerUser(api, 'owner');
    await api.createRoom(roomId, 'paced', owner.user.userId);
    sender = (await cluster.joined(0, roomId, { token: (await registerUser(api, 'sender')).token })).client;
    viewer = (await cluster.joined(0, roomId, { token: (await guest(api)).token })).client;
  }, 60_000);

  afterAll(async () => {
    await cluster?.close();
  });

  it('joins a chat stream into one batch per pace, loses and reorders nothing, and lets a gift through at once', async () => {
    const startSeq = viewer.lastSeq(roomId, 'normal');
    const sends: Array<Promise<unknown>> = [];
    let giftAckedAt = 0;
    const startedAt = performance.now();
    for (let i = 0; i < CHATS; i += 1) {
      sends.push(sender.send('chat', { roomId, text: `chat ${i}`, clientMsgId: clientMsgId() }));
      if (i === CHATS / 2) {
        sends.push(
          sender
            .send('gift', { roomId, giftId: 'rose', count: 1, clientMsgId: clientMsgId() })
            .then(() => (giftAckedAt = performance.now())),
        );
      }
      await sleep(CHAT_EVERY_MS);
    }
    await Promise.all(sends);
    await viewer.waitForSeq(roomId, 'normal', startSeq + CHATS, 10_000);

    // Every chat once, in seq order.
    const seqs = viewer.seqs(roomId, 'normal').filter((seq) => seq > startSeq);
    expect(isRun(seqs, startSeq + 1, startSeq + CHATS)).toBe(true);
    expect(viewer.outOfOrder(roomId, 'normal')).toEqual([]);

    // ~1.2 s of chat every 20 ms: a handful of batches a pace apart, not one per node window.
    const normal = viewer.batches.filter((b) => b.info.lane === 'normal' && b.info.lastSeq > startSeq);
    const spanMs = normal.at(-1)!.receivedAt - startedAt;
    expect(normal.length).toBeLessThanOrEqual(Math.ceil(spanMs / PACE_MS) + 1);
    for (let i = 1; i < normal.length; i += 1) {
      // Timers and the event loop may fire a little early relative to the client's clock; never a pace early.
      expect(normal[i].receivedAt - normal[i - 1].receivedAt).toBeGreaterThan(PACE_MS * 0.8);
    }
    expect(normal.reduce((sum, b) => sum + b.info.count, 0)).toBe(CHATS);

    // The gift, sent while chats were being held for their pace, was not held with them.
    const gift = viewer.batches.find(
      (b) => b.info.lane === 'important' && b.messages.some((m) => m.type === 'gift'),
    );
    expect(gift).toBeDefined();
    expect(gift!.receivedAt - giftAckedAt).toBeLessThan(PACE_MS / 2);
    expect(viewer.violations).toEqual([]);
  });

  it('delivers chat still held for the pace before a room close evicts the viewers', async () => {
    const api = cluster.api();
    const closing = roomIdFor('pace-close');
    const owner = await registerUser(api, 'closer');
    await api.createRoom(closing, 'closing', owner.user.userId);
    const talker = (await cluster.joined(0, closing, { token: (await registerUser(api, 'talker')).token }))
      .client;
    const watcher = (await cluster.joined(0, closing, { token: (await guest(api)).token })).client;
    // The first chat starts a fan-out; the next ones wait at the gateway for the pace, and the
    // close comes before the pace is up: once every chat has left the nodes' merge windows and
    // the gateway holds the room's batch.
    const outBefore = await cluster.nodeMetric('broadcast_node_msgs_out_total', { lane: 'normal' });
    const results = [];
    for (let i = 0; i < 5; i += 1) {
      results.push(
        await talker.send('chat', { roomId: closing, text: `last words ${i}`, clientMsgId: clientMsgId() }),
      );
    }
    await waitFor(
      async () =>
        (await cluster.nodeMetric('broadcast_node_msgs_out_total', { lane: 'normal' })) >= outBefore + 5 &&
        (await cluster.gateways[0].metric('gateway_fanout_rooms_paced')) >= 1,
      { intervalMs: 5, timeoutMs: 2000, what: 'the chats held at the gateway' },
    );
    await api.close(closing, 'show over');
    await waitFor(() => watcher.roomClosed.length > 0, { timeoutMs: 5000, what: 'roomClosed' });
    const seqs = watcher.seqs(closing, 'normal');
    expect(seqs).toEqual(results.map((r) => r.seq));
    expect(watcher.violations).toEqual([]);
  });
});
