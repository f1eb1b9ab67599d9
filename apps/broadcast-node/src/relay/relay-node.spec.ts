import { decodeBatchMeta, roomTopic } from '@live-im/broadcast';
import type { Topology } from '@live-im/contracts';
import { Push, Subscriber } from 'zeromq';
import { collect, waitFor } from '../__tests__/wait-for';
import { important, normal, pushFrames } from '../node/__tests__/push-frames';
import { BroadcastNode } from '../node/broadcast-node';
import { RelayNode } from './relay-node';

function topologyOf(node: BroadcastNode, version = 1): Topology {
  return {
    version,
    updatedAt: Date.now(),
    nodes: [
      {
        id: 'bn-1',
        kind: 'broadcast',
        region: 'home',
        state: 'active',
        pull: node.pullEndpoint,
        pub: node.pubEndpoint!,
      },
    ],
  };
}

describe('RelayNode', () => {
  let node: BroadcastNode;
  let relay: RelayNode;
  let push: Push;
  const subs: Subscriber[] = [];

  beforeEach(async () => {
    node = new BroadcastNode({
      nodeId: 'bn-1',
      pullBind: 'tcp://127.0.0.1:0',
      pubBind: 'tcp://127.0.0.1:0',
      windowMs: 5,
    });
    await node.start();
    relay = new RelayNode({ nodeId: 'relay-eu', pubBind: 'tcp://127.0.0.1:0' });
    await relay.start();
    push = new Push({ linger: 0 });
    push.connect(node.pullEndpoint!);
  });

  afterEach(async () => {
    for (const sub of subs.splice(0)) sub.close();
    push.close();
    await relay.close();
    await node.close();
  });

  it('serves two subscribers with one upstream subscription and forwards every batch as it is', async () => {
    relay.applyTopology(topologyOf(node));
    await waitFor(() => relay.connected().includes('bn-1'), 'the relay to connect upstream');

    const received: Buffer[][][] = [[], []];
    for (const into of received) {
      const sub = new Subscriber({ linger: 0 });
      sub.connect(relay.pubEndpoint!);
      sub.subscribe(roomTopic('live'));
      subs.push(sub);
      void collect(sub, into);
    }
    await waitFor(() => relay.subscriptions.subscribersOf('live') === 2, 'both subscriptions at the relay');
    await waitFor(() => node.subscriptions.subscribersOf('live') === 1, 'the relay subscription upstream');
    expect(relay.counters.upstreamSubscribes).toBe(1);

    await push.send(pushFrames([important('live', 1), normal('live', 1), normal('live', 2)]));
    // After the lanes' baselines (their first messages wait the reorder hold), frame by frame.
    for (const into of received)
      await waitFor(() => into.length === 2, 'the first two batches at each subscriber');
    await push.send(pushFrames([important('live', 2)]));
    for (const into of received) await waitFor(() => into.length === 3, 'three batches at each subscriber');
    for (const into of received) {
      expect(into.map((frames) => decodeBatchMeta(frames[1]).count).sort()).toEqual([1, 1, 2]);
    }
    expect(node.subscriptions.subscribersOf('live')).toBe(1);
    expect(relay.load()).toMatchObject({ msgsIn: 4, msgsOut: 4, batchesOut: 3, rooms: 1, subscriptions: 2 });

    // The upstream subscription goes only with the last subscriber.
    subs[0].unsubscribe(roomTopic('live'));
    await waitFor(() => relay.subscriptions.subscribersOf('live') === 1, 'one subscriber left at the relay');
    expect(node.subscriptions.subscribersOf('live')).toBe(1);
    subs[1].close();
    subs.pop();
    await waitFor(() => node.subscriptions.rooms === 0, 'the upstream unsubscription');
    expect(relay.counters.upstreamUnsubscribes).toBe(1);
  });

  it('drops nodes that leave the topology', async () => {
    relay.applyTopology(topologyOf(node));
    await waitFor(() => relay.connected().length === 1, 'the upstream connection');
    relay.applyTopology({ version: 2, updatedAt: Date.now(), nodes: [] });
    expect(relay.connected()).toEqual([]);
  });
});
