import type { RoomPublisher, RoomSubscriber } from '@live-im/broadcast';
import { waitFor } from '@live-im/testing';
import { BroadcastCluster, NodeProcess } from './support/broadcast-cluster';
import { DeliveryLog, missingSeqs, RoomTraffic, roomIds, waitForMessages } from './support/room-traffic';

const ROOMS = roomIds('relay', 10);
const MESSAGES = 3000;

describe('a relay serving region b', () => {
  const cluster = new BroadcastCluster('relay', { nodeEnv: { NORMAL_CAP_PER_SEC: '1000000' } });
  let nodes: NodeProcess[];
  let relay: NodeProcess;
  let publisher: RoomPublisher;
  let subscribers: RoomSubscriber[];

  beforeAll(async () => {
    await cluster.startManager();
    nodes = await Promise.all([cluster.startNode(), cluster.startNode()]);
    relay = await cluster.startNode({ kind: 'relay', region: 'b' });
    // The nodes become active once the relay reports them connected.
    await cluster.waitForStates([...nodes, relay].map((n) => n.id));
    subscribers = [cluster.subscriber({ region: 'b' }), cluster.subscriber({ region: 'b' })];
    for (const subscriber of subscribers) {
      for (const room of ROOMS) subscriber.join(room);
      await subscriber.start();
    }
    // Region b's subscribers listen to their relay only.
    for (const subscriber of subscribers) await cluster.waitForConnected(subscriber, [relay.id]);
    await cluster.waitForSubscriptions(relay, 2 * ROOMS.length);
    for (const node of nodes) await cluster.waitForSubscriptions(node, ROOMS.length);
    publisher = cluster.publisher();
    await publisher.start();
    await cluster.waitForPublisherNodes(publisher, nodes.length);
  });

  afterAll(() => cluster.close());

  it('delivers everything to both subscribers of region b through one upstream subscription per room', async () => {
    const logs = subscribers.map((s) => new DeliveryLog(s));
    const traffic = new RoomTraffic(publisher);
    await traffic.start(ROOMS, { ratePerSec: 3000, maxMessages: MESSAGES }).finished();
    expect(traffic.refused).toBe(0);
    for (const log of logs) await waitForMessages(log, MESSAGES);
    for (const log of logs) {
      expect(log.violations).toEqual([]);
      expect(log.gaps).toEqual([]);
      expect(missingSeqs(traffic, log)).toEqual({});
      expect(log.messages).toBe(MESSAGES);
    }

    // Upstream, each node holds one subscription per room from region b (the relay's), not two;
    // the relay holds its two subscribers' subscriptions.
    await waitFor(
      async () => {
        const view = await cluster.cluster();
        return [...nodes, relay].every(
          (n) => view.nodes.find((v) => v.id === n.id)?.load?.msgsOut !== undefined,
        );
      },
      { what: 'every node to report its load' },
    );
    const loads = async () => {
      const view = await cluster.cluster();
      return Object.fromEntries(
        view.nodes.map((n) => [n.id, { rooms: n.load?.rooms, subscriptions: n.load?.subscriptions }]),
      );
    };
    const expected = Object.fromEntries([
      ...nodes.map((n) => [n.id, { rooms: ROOMS.length, subscriptions: ROOMS.length }]),
      [relay.id, { rooms: ROOMS.length, subscriptions: 2 * ROOMS.length }],
    ]);
    expect(await loads()).toEqual(expected);
    for (const node of nodes) expect(await node.metric('broadcast_node_subscriptions')).toBe(ROOMS.length);
    // Every message crossed into region b once, however many gateways it reached there.
    expect(await relay.metric('broadcast_node_relay_msgs_total', { direction: 'in' })).toBe(MESSAGES);
  });
});
