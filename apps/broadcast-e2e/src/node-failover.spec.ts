import { performance } from 'node:perf_hooks';
import type { RoomPublisher, RoomSubscriber } from '@live-im/broadcast';
import { waitFor } from '@live-im/testing';
import { BroadcastCluster, NodeProcess } from './support/broadcast-cluster';
import {
  countOf,
  DeliveryLog,
  laneKey,
  LANES,
  missingSeqs,
  RoomTraffic,
  roomIds,
} from './support/room-traffic';

const ROOMS = roomIds('failover', 30);

describe('a broadcast node killed under load', () => {
  // The protocol's default timings: a node silent for 3 heartbeats of 1 s is dead.
  const cluster = new BroadcastCluster('failover', {
    heartbeatMs: 1000,
    nodeEnv: { NORMAL_CAP_PER_SEC: '1000000' },
  });
  let nodes: NodeProcess[];
  let publisher: RoomPublisher;
  let subscriber: RoomSubscriber;

  beforeAll(async () => {
    ({ nodes, publisher, subscriber } = await cluster.startWired(3, ROOMS));
  });

  afterAll(() => cluster.close());

  it('is marked dead after 3 s of silence, its rooms move, and only messages inside it are lost, each seen as a seq gap and counted lost once per room and lane', async () => {
    const log = new DeliveryLog(subscriber);
    const traffic = new RoomTraffic(publisher);
    const load = traffic.start(ROOMS, { ratePerSec: 2000, maxMessages: 40_000 });
    try {
      await load.progress(1000);
      const victim = nodes[0];
      const victimRooms = new Set(ROOMS.filter((room) => publisher.ownerOf(room) === victim.id));
      expect(victimRooms.size).toBeGreaterThan(0);

      const killedAt = performance.now();
      await cluster.kill(victim);
      // Its silence starts at its last heartbeat, which the manager reports (an early estimate: the
      // time is taken before asking).
      const askedAt = performance.now();
      const lastHeardAt =
        askedAt - (await cluster.cluster()).nodes.find((n) => n.id === victim.id)!.lastSeenMsAgo;
      await waitFor(
        async () => {
          const node = (await cluster.cluster()).nodes.find((n) => n.id === victim.id);
          return node === undefined || node.state === 'dead';
        },
        { timeoutMs: 20_000, intervalMs: 25, what: `${victim.id} dead in /cluster` },
      );
      const deadAt = performance.now();
      await cluster.waitForPublisherNodes(publisher, nodes.length - 1);
      const failoverAt = performance.now();
      // None of the dead node's rooms routes to it any more; the others did not move.
      for (const room of ROOMS) {
        if (victimRooms.has(room)) expect(publisher.ownerOf(room)).not.toBe(victim.id);
      }
      await load.progress(2000);
      await load.stop();

      // Every lane's last seq delivered: everything before it was delivered or reported as a gap.
      await waitFor(
        () => [...traffic.sent].every(([key, sent]) => log.lanes.get(key)?.last === sent.length),
        { timeoutMs: 20_000, what: 'the last seq of every room lane delivered' },
      );
      expect(log.violations).toEqual([]);

      const lost = missingSeqs(traffic, log);
      const lostTotal = countOf(lost);
      // Losses are detectable: exactly the seqs the subscriber reported as gaps.
      for (const room of ROOMS) {
        for (const lane of LANES) {
          const key = laneKey(room, lane);
          expect({ key, gaps: [...log.gapSeqs(room, lane)].sort((a, b) => a - b) }).toEqual({
            key,
            gaps: lost[key] ?? [],
          });
        }
      }
      // Every lost message was routed to the dead node, before the failover.
      const strays = Object.entries(lost).flatMap(([key, seqs]) =>
        seqs
          .map((seq) => traffic.sent.get(key)![seq - 1])
          .filter((m) => m.owner !== victim.id || m.at > failoverAt)
          .map((m) => `${key}#${m.seq} (to ${m.owner})`),
      );
      expect(strays).toEqual([]);
      for (const key of Object.keys(lost)) expect(victimRooms.has(key.split('|')[0])).toBe(true);
      // Everything published after the failover arrived.
      expect(missingSeqs(traffic, log, (_key, m) => m.at > failoverAt)).toEqual({});
      expect(lostTotal).toBeLessThan(traffic.total);
      // Dead after 3 heartbeats (3 s) of silence counted from its last heartbeat, never before (a
      // busy machine only makes it later; how much later is no claim of this test: the manager's
      // unit spec moves its clock to the exact edge). lastHeardAt is an early estimate, so the
      // bound holds whatever the polling and the HTTP round trips took.
      expect(deadAt - lastHeardAt).toBeGreaterThanOrEqual(3000);
      expect(killedAt).toBeGreaterThanOrEqual(lastHeardAt);
      expect(lostTotal).toBeGreaterThan(0);

      // Counted where an operator looks: once each gap settles, the subscriber's loss counters
      // hold exactly the seqs it never got, per lane and per room, each once.
      await waitFor(() => subscriber.stats.lost.normal + subscriber.stats.lost.important === lostTotal, {
        timeoutMs: 20_000,
        what: `the subscriber to count ${lostTotal} lost messages (at ${JSON.stringify(subscriber.stats.lost)})`,
      });
      for (const lane of LANES) {
        const missing = Object.entries(lost)
          .filter(([key]) => key.endsWith(`|${lane}`))
          .reduce((sum, [, seqs]) => sum + seqs.length, 0);
        expect({ lane, lost: subscriber.stats.lost[lane] }).toEqual({ lane, lost: missing });
      }
      for (const room of ROOMS) {
        const counted = subscriber.lossOf(room);
        const missing = {
          normal: lost[laneKey(room, 'normal')]?.length ?? 0,
          important: lost[laneKey(room, 'important')]?.length ?? 0,
        };
        expect({ room, normal: counted.normal, important: counted.important }).toEqual({ room, ...missing });
      }
      // Nothing of a gap arrived afterwards in this run: the dead node sent nothing more.
      expect(subscriber.stats.late).toEqual({ normal: 0, important: 0 });
      // The worst rooms come first on the board, and only rooms that lost something are on it.
      const board = subscriber.roomLosses(ROOMS.length);
      expect(board.every((r) => victimRooms.has(r.roomId) && r.normal + r.important > 0)).toBe(true);
      expect(board.reduce((sum, r) => sum + r.normal + r.important, 0)).toBe(lostTotal);
    } finally {
      await load.stop();
    }
  });
});
