import { rendezvousOwner, type RoomPublisher, type RoomSubscriber } from '@live-im/broadcast';
import { waitFor } from '@live-im/testing';
import { BroadcastCluster, NodeProcess } from './support/broadcast-cluster';
import {
  DeliveryLog,
  LANES,
  missingSeqs,
  RoomTraffic,
  roomIds,
  waitForMessages,
} from './support/room-traffic';

const ROOMS = roomIds('join', 40);

describe('a fourth node joining under load', () => {
  const cluster = new BroadcastCluster('join', { nodeEnv: { NORMAL_CAP_PER_SEC: '1000000' } });
  let nodes: NodeProcess[];
  let publisher: RoomPublisher;
  let subscriber: RoomSubscriber;

  beforeAll(async () => {
    ({ nodes, publisher, subscriber } = await cluster.startWired(3, ROOMS));
  });

  afterAll(() => cluster.close());

  it('loses and reorders nothing, and moves exactly the rooms rendezvous gives the new node', async () => {
    const log = new DeliveryLog(subscriber);
    const traffic = new RoomTraffic(publisher);
    const load = traffic.start(ROOMS, { ratePerSec: 2000, maxMessages: 40_000 });
    try {
      await load.progress(1000);
      const oldIds = nodes.map((n) => n.id);
      const before = new Map(ROOMS.map((room) => [room, publisher.ownerOf(room)]));
      for (const room of ROOMS) expect(before.get(room)).toBe(rendezvousOwner(room, oldIds));

      const fourth = await cluster.startNode();
      nodes.push(fourth);
      // It joins, the subscriber connects and reports it, the manager activates it.
      await cluster.waitForStates(
        nodes.map((n) => n.id),
        'active',
      );
      await cluster.waitForPublisherNodes(publisher, 4);
      const newIds = nodes.map((n) => n.id);
      const moved = ROOMS.filter((room) => rendezvousOwner(room, newIds) !== before.get(room));
      expect(moved.length).toBeGreaterThan(0);
      for (const room of ROOMS) {
        const owner = publisher.ownerOf(room);
        // A room either went to the new node or stayed where it was.
        if (moved.includes(room)) expect({ room, owner }).toEqual({ room, owner: fourth.id });
        else expect({ room, owner }).toEqual({ room, owner: before.get(room) });
      }
      await load.progress(2000);
      await load.stop();

      await waitFor(
        () => [...traffic.sent].every(([key, sent]) => log.lanes.get(key)?.last === sent.length),
        { timeoutMs: 10_000, what: 'the last seq of every room lane delivered' },
      );
      expect(traffic.refused).toBe(0);
      expect(log.violations).toEqual([]);
      expect(log.gaps).toEqual([]);
      expect(missingSeqs(traffic, log)).toEqual({});
      expect(log.messages).toBe(traffic.total);

      // The nodes really hold those rooms now: one more message per room lane reaches each owner.
      const msgsIn = async () => Promise.all(nodes.map((n) => n.metric('broadcast_node_msgs_in_total')));
      const inBefore = await msgsIn();
      for (const room of ROOMS) for (const lane of LANES) traffic.publish(room, lane);
      await waitForMessages(log, traffic.total);
      const expected = nodes.map(
        (n) => ROOMS.filter((room) => rendezvousOwner(room, newIds) === n.id).length * 2,
      );
      await waitFor(async () => (await msgsIn()).every((count, i) => count - inBefore[i] === expected[i]), {
        timeoutMs: 20_000,
        what: `msgs_in per node to grow by ${expected.join(',')}`,
      });
      expect(missingSeqs(traffic, log)).toEqual({});
    } finally {
      await load.stop();
    }
  });
});
