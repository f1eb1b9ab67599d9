import type { RoomPublisher, RoomSubscriber } from '@live-im/broadcast';
import { waitFor } from '@live-im/testing';
import { BroadcastCluster, NodeProcess } from './support/broadcast-cluster';
import { DeliveryLog, missingSeqs, RoomTraffic, roomIds } from './support/room-traffic';

const ROOMS = roomIds('nmrestart', 20);
/** Published while the manager is down: all of them must arrive before it comes back. */
const WHILE_DOWN = 1000;

describe('the node manager killed and restarted under load', () => {
  const cluster = new BroadcastCluster('nmrestart', { nodeEnv: { NORMAL_CAP_PER_SEC: '1000000' } });
  let nodes: NodeProcess[];
  let publisher: RoomPublisher;
  let subscriber: RoomSubscriber;

  beforeAll(async () => {
    ({ nodes, publisher, subscriber } = await cluster.startWired(3, ROOMS));
  });

  afterAll(() => cluster.close());

  it('never stops delivery, loses nothing, and lists the nodes active again after its restart', async () => {
    const log = new DeliveryLog(subscriber);
    const traffic = new RoomTraffic(publisher);
    const load = traffic.start(ROOMS, { ratePerSec: 2000, maxMessages: 40_000 });
    const manager = cluster.manager!;
    try {
      await load.progress(1000);
      await cluster.kill(manager);
      // Members notice the silence (3 heartbeats) and keep running on the last topology.
      await waitFor(() => !publisher.membership.managerReachable && !subscriber.membership.managerReachable, {
        timeoutMs: 20_000,
        what: 'members to notice the manager is gone',
      });
      // Delivery goes on without it: everything published so far arrives while it is still down.
      await load.progress(WHILE_DOWN);
      const publishedWhileDown = load.published;
      await waitFor(() => log.messages >= publishedWhileDown, {
        timeoutMs: 20_000,
        what: `${publishedWhileDown} messages delivered without a manager (at ${log.messages})`,
      });
      expect(publisher.membership.managerReachable || subscriber.membership.managerReachable).toBe(false);
      expect(publisher.stats.nodes).toBe(nodes.length);

      await cluster.launchManager();
      await cluster.waitForStates(
        nodes.map((n) => n.id),
        'active',
      );
      await waitFor(() => cluster.cluster().then((v) => v.members.length === 2), {
        what: 'the publisher and the subscriber registered again',
      });
      await load.progress(1000);
      await load.stop();

      await waitFor(
        () => [...traffic.sent].every(([key, sent]) => log.lanes.get(key)?.last === sent.length),
        { timeoutMs: 20_000, what: 'the last seq of every room lane delivered' },
      );
      expect(traffic.refused).toBe(0);
      expect(log.violations).toEqual([]);
      expect(log.gaps).toEqual([]);
      expect(missingSeqs(traffic, log)).toEqual({});
      // The rooms never moved: the rebuilt topology is the old one.
      expect(publisher.stats.nodes).toBe(nodes.length);
      expect((await cluster.cluster()).nodes.map((n) => `${n.id}:${n.state}`)).toEqual(
        nodes.map((n) => `${n.id}:active`),
      );
    } finally {
      await load.stop();
    }
  });
});
