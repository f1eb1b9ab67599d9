import { rendezvousOwner, type RoomPublisher, type RoomSubscriber } from '@live-im/broadcast';
import { waitFor } from '@live-im/testing';
import { BroadcastCluster, NodeProcess } from './support/broadcast-cluster';
import { DeliveryLog, missingSeqs, RoomTraffic } from './support/room-traffic';

/** User channels as room-service names them (`_<userId>`): targeted kicks, receipts, pushes. */
const CHANNELS = Array.from({ length: 300 }, (_, i) => `_chan-user-${i}`);
const ROOM = 'chan-room-1';

describe('user channels held only by their owner node', () => {
  const cluster = new BroadcastCluster('chan', { nodeEnv: { NORMAL_CAP_PER_SEC: '1000000' } });
  let nodes: NodeProcess[];
  let publisher: RoomPublisher;
  let subscriber: RoomSubscriber;

  beforeAll(async () => {
    await cluster.startManager();
    nodes = await Promise.all([cluster.startNode(), cluster.startNode()]);
    await cluster.waitForStates(nodes.map((n) => n.id));
    subscriber = cluster.subscriber({ channelHandoverMs: 1000 });
    for (const channel of CHANNELS) subscriber.join(channel);
    subscriber.join(ROOM);
    await subscriber.start();
    await cluster.waitForConnected(
      subscriber,
      nodes.map((n) => n.id),
    );
    publisher = cluster.publisher();
    await publisher.start();
    await cluster.waitForPublisherNodes(publisher, nodes.length);
  });

  afterAll(() => cluster.close());

  /** Each node's XPUB holds exactly the channels rendezvous gives it among `owners`, and the room. */
  async function expectPlacement(owners: NodeProcess[]): Promise<void> {
    const ids = owners.map((n) => n.id);
    const expected = owners.map((n) => CHANNELS.filter((c) => rendezvousOwner(c, ids) === n.id).length);
    let seen: number[] = [];
    const placedAtOwner = () =>
      CHANNELS.every((c) => subscriber.placesOf(c).join() === rendezvousOwner(c, ids));
    await waitFor(
      async () => {
        seen = await Promise.all(
          owners.map((n) => n.metric('broadcast_node_subscribed_topics', { kind: 'user' })),
        );
        return seen.every((count, i) => count === expected[i]) && placedAtOwner();
      },
      { timeoutMs: 15_000, what: `user channels per node ${expected.join(',')} (seen ${seen.join(',')})` },
    );
    for (const node of owners) {
      expect(await node.metric('broadcast_node_topic_subscriptions', { kind: 'user' })).toBe(
        expected[owners.indexOf(node)],
      );
      expect(await node.metric('broadcast_node_subscribed_topics', { kind: 'room' })).toBe(1);
    }
    expect(expected.reduce((a, b) => a + b, 0)).toBe(CHANNELS.length);
  }

  it('subscribes each channel at its owner only, moves it as a node joins and leaves under load, and loses no targeted message', async () => {
    await expectPlacement(nodes);

    const log = new DeliveryLog(subscriber);
    const traffic = new RoomTraffic(publisher);
    const load = traffic.start([...CHANNELS, ROOM], {
      ratePerSec: 1500,
      lane: () => 'important',
      maxMessages: 60_000,
    });
    try {
      await load.progress(500);

      const third = await cluster.startNode();
      const all = [...nodes, third];
      await cluster.waitForStates(all.map((n) => n.id));
      await cluster.waitForPublisherNodes(publisher, 3);
      await expectPlacement(all);
      const moved = subscriber.stats.channelMoves;
      expect(moved).toBe(
        CHANNELS.filter(
          (c) =>
            rendezvousOwner(
              c,
              all.map((n) => n.id),
            ) === third.id,
        ).length,
      );
      await load.progress(1000);

      // A graceful leave: the node drains, publishers and the subscriber hand its channels over.
      await third.process!.stop();
      await cluster.waitForPublisherNodes(publisher, 2);
      await expectPlacement(nodes);
      expect(subscriber.stats.channelMoves).toBe(2 * moved);
      await load.progress(1000);
      await load.stop();

      await waitFor(
        () => [...traffic.sent].every(([key, sent]) => log.lanes.get(key)?.last === sent.length),
        { timeoutMs: 10_000, what: 'the last seq of every channel delivered' },
      );
      expect(traffic.refused).toBe(0);
      expect(log.violations).toEqual([]);
      expect(log.gaps).toEqual([]);
      expect(missingSeqs(traffic, log)).toEqual({});
      expect(log.messages).toBe(traffic.total);
      const dropped = await Promise.all(
        nodes.map((n) => n.metric('broadcast_node_dropped_total', { reason: 'noSubscriber' })),
      );
      expect(dropped).toEqual([0, 0]);
    } finally {
      await load.stop();
    }
  });
});
