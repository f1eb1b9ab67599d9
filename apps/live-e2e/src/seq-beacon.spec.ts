import { connect, type GapEvent, type LiveClient, type RoomHandle } from '@live-im/client-sdk';
import { waitFor } from '@live-im/testing';
import { LiveCluster } from './support/live-cluster';
import { registerUser, roomIdFor } from './support/fixtures';

/** The burst: BURST important messages; the node's test hook drops the frame holding the last one. */
const BURST = 5;
const VIEWERS_PER_GATEWAY = 3;

/**
 * docs/socket-protocol.md "Seq beacon": a lost last message is noticed without further traffic.
 * Each broadcast node runs with TEST_DROP_IMPORTANT_SEQ, so the frame carrying important seq BURST
 * of the room never reaches a gateway; only the room's state (once a second) names that seq.
 */
describe('seq beacon: the lost last important message of a burst', () => {
  let cluster: LiveCluster;
  const clients: LiveClient[] = [];
  const roomId = roomIdFor('seq-beacon');

  beforeAll(async () => {
    cluster = await LiveCluster.start({
      label: 'seq-beacon',
      nodeEnv: { TEST_DROP_IMPORTANT_SEQ: String(BURST) },
    });
    const api = cluster.api();
    const owner = await registerUser(api, 'owner');
    await api.createRoom(roomId, 'seq beacon', owner.user.userId);
  }, 60_000);

  afterAll(async () => {
    for (const client of clients) client.close();
    await cluster?.close();
  });

  it('reaches every viewer within 2 s through the beacon, with no other traffic', async () => {
    const rooms: Array<{ room: RoomHandle; important: number[]; gaps: GapEvent[] }> = [];
    for (const gateway of cluster.gateways) {
      for (let i = 0; i < VIEWERS_PER_GATEWAY; i += 1) {
        const client = connect({ url: gateway.url, transports: ['websocket'] });
        clients.push(client);
        const room = await client.joinRoom(roomId);
        const seen = { room, important: [] as number[], gaps: [] as GapEvent[] };
        room.on('message', (message) => {
          if (message.lane === 'important') seen.important.push(message.seq);
        });
        room.on('gap', (gap) => seen.gaps.push(gap));
        rooms.push(seen);
      }
    }
    // Every gateway has heard the room's state once: the beacon reaches its sockets.
    await waitFor(
      async () =>
        (
          await Promise.all(cluster.gateways.map((g) => g.metric('gateway_room_states_received_total')))
        ).every((n) => n > 0),
      {
        timeoutMs: 10_000,
        what: 'a room state at every gateway',
      },
    );

    const api = cluster.api();
    let lastSentAt = 0;
    for (let i = 1; i <= BURST; i += 1) {
      const { seq } = await api.push(roomId, { lane: 'important', type: 'custom', body: { step: i } });
      expect(seq).toBe(i);
      lastSentAt = Date.now();
    }
    await waitFor(() => rooms.every((r) => r.important.length === BURST), {
      timeoutMs: 2_000,
      intervalMs: 20,
      what: `every viewer to hold important seq ${BURST} within 2 s of its send (holding: ${rooms
        .map((r) => r.important.join('.'))
        .join(' | ')})`,
    });
    const tookMs = Date.now() - lastSentAt;

    for (const { important, gaps } of rooms) {
      expect(important).toEqual([1, 2, 3, 4, 5]);
      // Filled by its gateway (which the beacon showed behind) before the SDK's own grace ran out,
      // or else pulled by the SDK itself: either way the beacon is what found it.
      const ownPull = [{ lane: 'important', fromSeq: BURST, toSeq: BURST, recovered: true }];
      expect(gaps.length === 0 ? ownPull : gaps).toEqual(ownPull);
    }
    // The hook did drop it, and every gateway's subscriber found the gap from the beacon too.
    expect(await cluster.nodeMetric('broadcast_node_dropped_total', { reason: 'test_hook' })).toBeGreaterThan(
      0,
    );
    for (const gateway of cluster.gateways) {
      expect(await gateway.metric('gateway_beacon_gaps_total')).toBeGreaterThan(0);
    }
    process.stdout.write(
      `seq beacon: the dropped last message reached ${rooms.length} viewers in ${tookMs} ms\n`,
    );
  }, 60_000);
});
