import { performance } from 'node:perf_hooks';
import type { RoomPublisher, RoomSubscriber } from '@live-im/broadcast';
import { waitFor } from '@live-im/testing';
import { BroadcastCluster, NodeProcess } from './support/broadcast-cluster';
import { DeliveryLog, laneKey, percentile, RoomTraffic } from './support/room-traffic';

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

  it('delivers every important message with p99 ≤ 30 ms while the normal cap holds and its drops are counted', async () => {
    const latencies: number[] = [];
    const normalArrivals: number[] = [];
    const log = new DeliveryLog(subscriber, (envelope, arrivedAt) => {
      if (envelope.lane === 'important') latencies.push(arrivedAt - envelope.body.sentAt);
      else normalArrivals.push(arrivedAt);
    });
    const traffic = new RoomTraffic(publisher);
    const load = traffic.start([ROOM], {
      ratePerSec: RATE,
      maxMessages: RATE * 10,
      lane: (i) => (i % IMPORTANT_EVERY === 0 ? 'important' : 'normal'),
    });
    const startedAt = performance.now();
    try {
      await waitFor(() => performance.now() - startedAt >= RUN_MS, {
        timeoutMs: RUN_MS + 5000,
        intervalMs: 50,
      });
    } finally {
      await load.stop();
    }
    const importantSent = traffic.lastSeq(ROOM, 'important');
    const normalSent = traffic.lastSeq(ROOM, 'normal');
    expect(traffic.refused).toBe(0);
    await waitFor(() => log.lane(ROOM, 'important').last === importantSent, {
      timeoutMs: 5000,
      what: `important seq ${importantSent} delivered`,
    });

    // Important: every message, in order, fast.
    expect(log.violations).toEqual([]);
    expect(log.lane(ROOM, 'important').seqs).toEqual(
      traffic.sent.get(laneKey(ROOM, 'important'))!.map((m) => m.seq),
    );
    expect(log.gaps.filter((g) => g.lane === 'important')).toEqual([]);
    expect(latencies).toHaveLength(importantSent);
    const p99 = percentile(latencies, 99);
    expect(p99).toBeLessThanOrEqual(30);

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
      { timeoutMs: 5000, what: 'every normal message delivered or dropped by the cap' },
    );
    expect(normalSent).toBeGreaterThan(CAP * 5);
    expect(dropped).toBeGreaterThan(0);
    // The cap is per second, and the node's seconds start with the room's first message: in each
    // second of arrivals counted from there, at most the cap (give or take a tenth). (A sliding
    // second is no measure of it: the subscriber's reordering wait bunches each second's arrivals.)
    const firstSentAt = traffic.sent.get(laneKey(ROOM, 'normal'))![0].at;
    const perSecond: number[] = [];
    for (const at of normalArrivals) {
      const second = Math.floor((at - firstSentAt) / 1000);
      perSecond[second] = (perSecond[second] ?? 0) + 1;
    }
    expect(Math.max(...perSecond.map((n) => n ?? 0))).toBeLessThanOrEqual(CAP * 1.1);
    // Over the whole run, at most one cap per (started) second.
    expect(log.lane(ROOM, 'normal').seqs.length).toBeLessThanOrEqual(CAP * Math.ceil(RUN_MS / 1000 + 1));
    // The manager sees the drops too, from the node's heartbeats.
    await waitFor(
      async () => (await cluster.cluster()).nodes.find((n) => n.id === node.id)?.load?.droppedCap === dropped,
      { timeoutMs: 5000, what: `droppedCap ${dropped} in /cluster` },
    );
    console.log(
      `important p99 ${p99.toFixed(1)} ms over ${latencies.length}; normal per second ${perSecond.join(',')}, dropped ${dropped}`,
    );
  });
});
