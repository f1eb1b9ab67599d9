import type { RoomPublisher, RoomSubscriber } from '@live-im/broadcast';
import { BroadcastCluster, NodeProcess } from './support/broadcast-cluster';
import { DeliveryLog, missingSeqs, RoomTraffic, roomIds, waitForMessages } from './support/room-traffic';

const ROOMS = roomIds('steady', 50);
const MESSAGES = 6000;

describe('a cluster of three nodes', () => {
  // No flow cap in the way: this is about delivery.
  const cluster = new BroadcastCluster('steady', { nodeEnv: { NORMAL_CAP_PER_SEC: '1000000' } });
  let nodes: NodeProcess[];
  let publisher: RoomPublisher;
  let subscribers: RoomSubscriber[];

  beforeAll(async () => {
    await cluster.startManager();
    nodes = await Promise.all([cluster.startNode(), cluster.startNode(), cluster.startNode()]);
    await cluster.waitForStates(nodes.map((n) => n.id));
    subscribers = [cluster.subscriber(), cluster.subscriber()];
    for (const subscriber of subscribers) {
      for (const room of ROOMS) subscriber.join(room);
      await subscriber.start();
    }
    for (const subscriber of subscribers)
      await cluster.waitForConnected(
        subscriber,
        nodes.map((n) => n.id),
      );
    // Every node holds both subscribers' subscription of every room (a SUB subscribes at each node).
    for (const node of nodes) await cluster.waitForSubscriptions(node, 2 * ROOMS.length);
    publisher = cluster.publisher();
    await publisher.start();
    await cluster.waitForPublisherNodes(publisher, nodes.length);
  });

  afterAll(() => cluster.close());

  it('delivers every message of 50 rooms exactly once, in per-lane seq order, to both subscribers', async () => {
    const logs = subscribers.map((s) => new DeliveryLog(s));
    const traffic = new RoomTraffic(publisher);
    const load = traffic.start(ROOMS, { ratePerSec: 4000, maxMessages: MESSAGES });
    await load.finished();
    expect(traffic.refused).toBe(0);
    for (const log of logs) await waitForMessages(log, MESSAGES);

    for (const log of logs) {
      expect(log.violations).toEqual([]);
      expect(missingSeqs(traffic, log)).toEqual({});
      expect(log.gaps).toEqual([]);
      expect(log.messages).toBe(MESSAGES);
      // Every room lane in order: the delivered seqs are exactly 1..n.
      for (const [key, sent] of traffic.sent) {
        expect({ key, seqs: log.lanes.get(key)?.seqs }).toEqual({ key, seqs: sent.map((m) => m.seq) });
      }
    }
    // Each node took the messages of the rooms it owns, and had subscribers for all of them.
    const view = await cluster.cluster();
    let msgsIn = 0;
    for (const node of nodes) msgsIn += await node.metric('broadcast_node_msgs_in_total');
    expect(msgsIn).toBe(MESSAGES);
    for (const node of nodes)
      expect(await node.metric('broadcast_node_dropped_total', { reason: 'noSubscriber' })).toBe(0);
    // Rendezvous spreads 50 rooms over all three nodes.
    const owners = new Set(ROOMS.map((room) => publisher.ownerOf(room)));
    expect([...owners].sort()).toEqual(view.nodes.map((n) => n.id).sort());
  });
});
