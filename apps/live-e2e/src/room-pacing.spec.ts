import { waitFor } from '@live-im/testing';
import type { LiveClient } from './support/live-client';
import { LiveCluster } from './support/live-cluster';
import { clientMsgId, guest, isRun, registerUser, roomIdFor } from './support/fixtures';

/**
 * The pace a room gets once it has PACE_FULL_SOCKETS local sockets (this test's rooms do): the
 * longest the gateway allows, so that "held for the pace" stays true for a while on a busy machine.
 */
const PACE_MS = 2000;
const PACE_FULL_SOCKETS = 2;
const CHATS = 40;

/**
 * Flow control by room size at the gateway (docs/architecture.md): a big room's normal batches
 * start a fan-out at most once per pace, joined in between, and nothing is lost or reordered;
 * important messages are never paced. The thresholds are lowered so that two sockets make a
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

  it('joins a chat stream into far fewer batches, loses and reorders nothing, and lets a gift overtake the held chat', async () => {
    const startSeq = viewer.lastSeq(roomId, 'normal');
    const normalFrames = (): Promise<number> =>
      cluster.nodeMetric('broadcast_node_batches_out_total', { lane: 'normal' });
    // Each chat leaves the nodes in a frame of its own (the next one is sent only after), so
    // without pacing the viewer would get one batch per chat.
    const chat = async (i: number): Promise<number> => {
      const framesBefore = await normalFrames();
      const ack = await sender.send('chat', { roomId, text: `chat ${i}`, clientMsgId: clientMsgId() });
      await waitFor(async () => (await normalFrames()) > framesBefore, {
        intervalMs: 5,
        what: `chat ${i} to leave the nodes`,
      });
      return ack.seq;
    };

    // The first chat starts a fan-out at once; the second waits at the gateway for the pace.
    await chat(0);
    await viewer.waitForSeq(roomId, 'normal', startSeq + 1);
    const heldSeq = await chat(1);
    await waitFor(async () => (await cluster.gateways[0].metric('gateway_fanout_rooms_paced')) >= 1, {
      intervalMs: 5,
      what: 'the second chat held at the gateway',
    });
    // A gift sent now is not held with it: it reaches the viewer before the held chat does.
    const gift = await sender.send('gift', { roomId, giftId: 'rose', count: 1, clientMsgId: clientMsgId() });
    await viewer.waitForSeq(roomId, 'important', gift.seq);
    const arrived = viewer.arrivals.map((a) => `${a.message.lane} ${a.message.seq}`);
    const giftAt = arrived.indexOf(`important ${gift.seq}`);
    expect(giftAt).toBeGreaterThanOrEqual(0);
    expect(arrived.slice(0, giftAt)).not.toContain(`normal ${heldSeq}`);

    for (let i = 2; i < CHATS; i += 1) await chat(i);
    await viewer.waitForSeq(roomId, 'normal', startSeq + CHATS, 15_000);

    // Every chat once, in seq order.
    const seqs = viewer.seqs(roomId, 'normal').filter((seq) => seq > startSeq);
    expect(isRun(seqs, startSeq + 1, startSeq + CHATS)).toBe(true);
    expect(viewer.outOfOrder(roomId, 'normal')).toEqual([]);

    // CHATS frames from the nodes, joined at the gateway into far fewer batches (one per pace).
    const normal = viewer.batches.filter((b) => b.info.lane === 'normal' && b.info.lastSeq > startSeq);
    expect(normal.reduce((sum, b) => sum + b.info.count, 0)).toBe(CHATS);
    expect(normal.length).toBeLessThanOrEqual(CHATS / 2);
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
      // Held no longer than a pace: past that, what is looked for is gone.
      { intervalMs: 5, timeoutMs: PACE_MS, what: 'the chats held at the gateway' },
    );
    await api.close(closing, 'show over');
    await waitFor(() => watcher.roomClosed.length > 0, { timeoutMs: 20_000, what: 'roomClosed' });
    const seqs = watcher.seqs(closing, 'normal');
    expect(seqs).toEqual(results.map((r) => r.seq));
    expect(watcher.violations).toEqual([]);
  });
});
