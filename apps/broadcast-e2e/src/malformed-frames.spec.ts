import {
  broadcastCurveOptions,
  managerCurveOptions,
  type RoomPublisher,
  type RoomSubscriber,
} from '@live-im/broadcast';
import { prng, testBusSecurity, waitFor } from '@live-im/testing';
import { Dealer, Push } from 'zeromq';
import { BroadcastCluster, NodeProcess } from './support/broadcast-cluster';
import { malformedNm, malformedPush } from './support/garbage';
import { DeliveryLog, missingSeqs, RoomTraffic, roomIds } from './support/room-traffic';

const MESSAGES_PER_SOCKET = 5000;
const ROOMS = roomIds('garbage', 10);

async function flood(
  socket: Push | Dealer,
  endpoint: string,
  make: (random: () => number) => Buffer[],
  seed: number,
) {
  socket.connect(endpoint);
  const random = prng(seed);
  try {
    for (let i = 0; i < MESSAGES_PER_SOCKET; i += 1) await socket.send(make(random));
  } finally {
    socket.close();
  }
}

describe('garbage on the PULL socket of a node and the ROUTER of the node manager', () => {
  const cluster = new BroadcastCluster('garbage', { nodeEnv: { NORMAL_CAP_PER_SEC: '1000000' } });
  let node: NodeProcess;
  let publisher: RoomPublisher;
  let subscriber: RoomSubscriber;

  beforeAll(async () => {
    await cluster.startManager();
    node = await cluster.startNode();
    await cluster.waitForStates([node.id]);
    subscriber = cluster.subscriber();
    for (const room of ROOMS) subscriber.join(room);
    await subscriber.start();
    await cluster.waitForConnected(subscriber, [node.id]);
    await cluster.waitForSubscriptions(node, ROOMS.length);
    publisher = cluster.publisher();
    await publisher.start();
    await cluster.waitForPublisherNodes(publisher, 1);
  });

  afterAll(() => cluster.close());

  it('is counted and dropped, both stay up and ready, and delivery goes on', async () => {
    const manager = cluster.manager!;
    const managerMalformed = async () =>
      Object.values((await cluster.cluster()).counters.malformed).reduce((sum, n) => sum + n, 0);
    const nodeMalformed = () => node.metric('broadcast_node_malformed_total');
    const managerBefore = await managerMalformed();
    const nodeBefore = await nodeMalformed();
    const log = new DeliveryLog(subscriber);
    const traffic = new RoomTraffic(publisher);
    const load = traffic.start(ROOMS, { ratePerSec: 1000, maxMessages: 20_000 });
    const seed = Date.now() >>> 0;
    try {
      await load.progress(200);
      await Promise.all([
        // Listed keys: the frames reach the parsers, which are what this probes.
        flood(
          new Push({ linger: 1000, ...broadcastCurveOptions(testBusSecurity('room-service')) }),
          node.pull,
          malformedPush,
          seed,
        ),
        flood(
          new Dealer({ linger: 1000, ...managerCurveOptions(testBusSecurity('gateway')) }),
          manager.router,
          malformedNm,
          seed + 1,
        ),
      ]);
      let counted = { node: 0, manager: 0 };
      await waitFor(
        async () => {
          counted = {
            node: (await nodeMalformed()) - nodeBefore,
            manager: (await managerMalformed()) - managerBefore,
          };
          return counted.node >= MESSAGES_PER_SOCKET && counted.manager >= MESSAGES_PER_SOCKET;
        },
        { timeoutMs: 15_000, what: `every message counted malformed (seed ${seed})` },
      ).catch((error: Error) => {
        throw new Error(
          `${error.message}: node ${counted.node}, manager ${counted.manager} of ${MESSAGES_PER_SOCKET}`,
        );
      });
      expect(counted).toEqual({ node: MESSAGES_PER_SOCKET, manager: MESSAGES_PER_SOCKET });
      await load.progress(500);
    } finally {
      await load.stop();
    }

    expect(node.running).toBe(true);
    expect(manager.running).toBe(true);
    expect(await node.ready()).toBe(true);
    expect(await manager.ready()).toBe(true);
    await waitFor(() => [...traffic.sent].every(([key, sent]) => log.lanes.get(key)?.last === sent.length), {
      timeoutMs: 10_000,
      what: 'the last seq of every room lane delivered',
    });
    expect(traffic.refused).toBe(0);
    expect(log.violations).toEqual([]);
    expect(log.gaps).toEqual([]);
    expect(missingSeqs(traffic, log)).toEqual({});
    // Nothing of the garbage reached a room, registered a member, or changed the topology.
    expect(await node.metric('broadcast_node_msgs_in_total')).toBe(traffic.total);
    const view = await cluster.cluster();
    expect(view.nodes.map((n) => `${n.id}:${n.state}`)).toEqual([`${node.id}:active`]);
    expect(view.members.map((m) => m.id).sort()).toEqual(
      [publisher.membership.id, subscriber.membership.id].sort(),
    );
  });
});
