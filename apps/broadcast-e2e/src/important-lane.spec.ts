import type { RoomPublisher, RoomSubscriber } from '@live-im/broadcast';
import { waitFor } from '@live-im/testing';
import { BroadcastCluster, NodeProcess } from './support/broadcast-cluster';
import { DeliveryLog, laneKey, RoomTraffic } from './support/room-traffic';

const ROOM = 'latency-room';
const CAP = 200;
/** 7.5 times the cap, one message in 30 important (50/s). */
const RATE = 1500;
const IMPORTANT_EVERY = 30;
const RUN_MS = 3000;

describe('one room saturated with normal traffic', () => {
  const cluster = new BroadcastCluster('latency', { nodeEnv: { NORMAL_CAP_PER_SEC: String(CAP) } });
  let node: NodeProcess;
  let publisher: RoomPublisher;
  let subscriber: RoomSubscriber;

  beforeAll(async () => {
    await cluster.startManager();
    node = await cluster.startNode();
    await cluster.waitForStates([node.id]);
    subscriber = cluster.subscriber();
    subscriber.join(ROOM);
    await subscriber.start();
    await cluster.waitForConnected(subscriber, [node.id]);
    await cluster.waitForSubscriptions(node, 1);
    publisher = cluster.publisher();
    await publisher.start();
    await cluster.waitForPublisherNodes(publisher, 1);
  });

  afterAll(() => cluster.close());

  // How fast an important message crosses a saturated node is a figure for bench/, not a budget
  // here: on a loaded machine the scheduler, not the node, decides it.
  it('delivers every important message, in order and none dropped, while the normal cap holds and its drops are counted', async () => {
    const normalArrivals: number[] = [];
    const log = new DeliveryLog(subscriber, (envelope, arrivedAt) => {
      if (envelope.lane === 'normal') normalArrivals.push(arrivedAt);
    });
    const traffic = new RoomTraffic(publisher);
    const load = traffic.start([ROOM], {
      ratePerSec: RATE,
      maxMessages: RATE * 10,
      lane: (i) => (i % IMPORTANT_EVERY === 0 ? 'important' : 'normal'),
    });
    try {
      // About RUN_MS of traffic, counted in messages: a stalled publisher just takes longer.
      await load.progress((RATE * RUN_MS) / 1000, 60_000);
    } finally {
      await load.stop();
    }
    const importantSent = traffic.lastSeq(ROOM, 'important');
    const normalSent = traffic.lastSeq(ROOM, 'normal');
    expect(traffic.refused).toBe(0);
    await waitFor(() => log.lane(ROOM, 'important').last === importantSent, {
      timeoutMs: 20_000,
      what: `important seq ${importantSent} delivered`,
    });

    // Important: every message, in order, none missing, none dropped by the node.
    expect(importantSent).toBeGreaterThan(50);
    expect(log.violations).toEqual([]);
    expect(log.lane(ROOM, 'important').seqs).toEqual(
      traffic.sent.get(laneKey(ROOM, 'important'))!.map((m) => m.seq),
    );
    expect(log.gaps.filter((g) => g.lane === 'important')).toEqual([]);
    expect(subscriber.stats.lost.important).toBe(0);
    expect(await node.metric('broadcast_node_msgs_in_total', { lane: 'important' })).toBe(importantSent);
    expect(await node.metric('broadcast_node_msgs_out_total', { lane: 'important' })).toBe(importantSent);

    // Normal: the node read all of it, published at most the cap per second, counted the rest.
    let dropped = 0;
    let normalIn = 0;
    await waitFor(
      async () => {
        normalIn = await node.metric('broadcast_node_msgs_in_total', { lane: 'normal' });
        dropped = await node.metric('broadcast_node_dropped_total', { reason: 'cap' });
        // Delivered and dropped account for everything the node read (the last window may still be open).
        return normalIn === normalSent && log.lane(ROOM, 'normal').seqs.length + dropped === normalSent;
      },
      { timeoutMs: 20_000, what: 'every normal message delivered or dropped by the cap' },
    );
    expect(normalSent).toBeGreaterThan(CAP * 5);
    expect(dropped).toBeGreaterThan(0);
    // The cap holds: the node's one-second windows open with a room's first message after the
    // previous one closed, so between the first send and the last arrival there were at most
    // `windows` of them, each passing at most the cap. (Counted over the whole span, not per second
    // of arrivals: a busy machine shifts arrivals from one second into the next.)
    const firstSentAt = traffic.sent.get(laneKey(ROOM, 'normal'))![0].at;
    const lastArrivalAt = Math.max(...normalArrivals);
    const windows = Math.floor((lastArrivalAt - firstSentAt) / 1000) + 1;
    expect(log.lane(ROOM, 'normal').seqs.length).toBeLessThanOrEqual(CAP * windows);
    expect(log.lane(ROOM, 'normal').seqs.length).toBeGreaterThanOrEqual(CAP);
    // The manager sees the drops too, from the node's heartbeats.
    await waitFor(
      async () => (await cluster.cluster()).nodes.find((n) => n.id === node.id)?.load?.droppedCap === dropped,
      { timeoutMs: 20_000, what: `droppedCap ${dropped} in /cluster` },
    );
  });
});
