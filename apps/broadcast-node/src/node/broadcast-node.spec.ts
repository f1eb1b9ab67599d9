import {
  bcastHeader,
  BroadcastCommand,
  decodeBatchMeta,
  LaneCode,
  roomOfTopic,
  roomTopic,
} from '@live-im/broadcast';
import { Push, Subscriber } from 'zeromq';
import { collect, waitFor } from '../__tests__/wait-for';
import { closeNodeWithPeers, type NodeWithPeers, startNodeWithPeers } from './__tests__/node-with-peers';
import { important, normal, pushFrames } from './__tests__/push-frames';
import { BroadcastNode } from './broadcast-node';

describe('BroadcastNode over loopback tcp', () => {
  let peers: NodeWithPeers;
  let node: BroadcastNode;
  let push: Push;
  let sub: Subscriber;
  let received: Buffer[][];

  beforeEach(async () => {
    peers = await startNodeWithPeers('bn-test');
    ({ node, push, sub, received } = peers);
  });

  afterEach(() => closeNodeWithPeers(peers));

  it('publishes batches for subscribed rooms and nothing for the others', async () => {
    sub.subscribe(roomTopic('live'));
    await waitFor(() => node.subscriptions.subscribersOf('live') === 1, 'the subscription to reach the node');

    await push.send(
      pushFrames([normal('live', 1), normal('live', 2), important('live', 1), normal('quiet', 1)]),
    );
    await waitFor(() => received.length === 2, 'an important and a normal batch');

    const [first, second] = received as [Buffer[], Buffer[]];
    expect(roomOfTopic(first[0])).toBe('live');
    expect(decodeBatchMeta(first[1])).toEqual({
      lane: LaneCode.important,
      count: 1,
      firstSeq: 1,
      lastSeq: 1,
    });
    expect(decodeBatchMeta(second[1])).toEqual({ lane: LaneCode.normal, count: 2, firstSeq: 1, lastSeq: 2 });
    expect(JSON.parse(second[2].toString())).toEqual([
      { seq: 1, lane: 'normal' },
      { seq: 2, lane: 'normal' },
    ]);
    expect(node.counters).toMatchObject({ msgsIn: 4, noSubscriber: 1, msgsOut: 3, batchesOut: 2 });
    expect(node.load()).toMatchObject({ rooms: 1, subscriptions: 1 });

    sub.unsubscribe(roomTopic('live'));
    await waitFor(() => node.subscriptions.rooms === 0, 'the unsubscription to reach the node');
    await push.send(pushFrames([important('live', 2)]));
    await waitFor(() => node.counters.noSubscriber === 2, 'the message to be counted as noSubscriber');
  });

  it('counts 5,000 garbage messages on PULL and keeps working', async () => {
    sub.subscribe(roomTopic('live'));
    await waitFor(() => node.subscriptions.rooms === 1, 'the subscription');
    const header = bcastHeader(BroadcastCommand.PUBLISH);
    for (let i = 0; i < 5000; i += 1) {
      const garbage = Buffer.alloc(1 + (i % 40), i & 0xff);
      switch (i % 5) {
        case 0:
          await push.send(garbage);
          break;
        case 1:
          await push.send([header, garbage]);
          break;
        case 2:
          await push.send([garbage, garbage]);
          break;
        case 3:
          await push.send([header, Buffer.from([4, 0, 0, 0, 1, 2, 3, 4, 0, 0, 0, 0])]);
          break;
        default:
          await push.send([header, garbage, garbage]);
      }
    }
    await push.send(pushFrames([important('live', 1)]));
    await waitFor(() => received.length === 1, 'the good message after the garbage');
    expect(node.counters.malformed).toBe(5000);
    expect(node.isRunning).toBe(true);
  });

  it('puts a room lane that two publishers sent out of order back in seq order', async () => {
    const second = new Push({ linger: 0 });
    second.connect(node.pullEndpoint!);
    try {
      sub.subscribe(roomTopic('live'));
      await waitFor(() => node.subscriptions.rooms === 1, 'the subscription');
      // Seq 1 starts the lane at once: nothing lower exists.
      await push.send(pushFrames([important('live', 1)]));
      await waitFor(() => received.length === 1, 'the baseline frame');
      // Worker B's seq 3 overtakes worker A's seq 2.
      await second.send(pushFrames([important('live', 3)]));
      await waitFor(() => node.counters.msgsIn === 2, 'seq 3 to be read');
      await push.send(pushFrames([important('live', 2)]));
      await waitFor(() => received.length === 2, 'the reordered frame');
      expect(decodeBatchMeta(received[1][1])).toEqual({
        lane: LaneCode.important,
        count: 2,
        firstSeq: 2,
        lastSeq: 3,
      });
      expect(JSON.parse(received[1][2].toString())).toEqual([
        { seq: 2, lane: 'important' },
        { seq: 3, lane: 'important' },
      ]);
      expect(node.counters).toMatchObject({ outOfOrder: 1, reorderGaps: 0, late: 0 });
    } finally {
      second.close();
    }
  });

  it('flushes held windows on close', async () => {
    const held = new BroadcastNode({
      nodeId: 'bn-held',
      pullBind: 'tcp://127.0.0.1:0',
      pubBind: 'tcp://127.0.0.1:0',
      windowMs: 60_000,
    });
    await held.start();
    const heldPush = new Push({ linger: 0 });
    heldPush.connect(held.pullEndpoint!);
    const heldSub = new Subscriber({ linger: 0 });
    heldSub.connect(held.pubEndpoint!);
    const got: Buffer[][] = [];
    void collect(heldSub, got);
    heldSub.subscribe(roomTopic('live'));
    await waitFor(() => held.subscriptions.rooms === 1, 'the subscription');
    await heldPush.send(pushFrames([normal('live', 1)]));
    await waitFor(() => held.counters.msgsIn === 1, 'the message to be read');
    expect(got).toHaveLength(0);
    await held.close();
    await waitFor(() => got.length === 1, 'the flushed window');
    heldPush.close();
    heldSub.close();
  });

  it('on close reads and publishes what publishers had sent, instead of dropping it with the socket', async () => {
    const closing = new BroadcastNode({
      nodeId: 'bn-closing',
      pullBind: 'tcp://127.0.0.1:0',
      pubBind: 'tcp://127.0.0.1:0',
    });
    await closing.start();
    const closingPush = new Push({ linger: 0 });
    closingPush.connect(closing.pullEndpoint!);
    const closingSub = new Subscriber({ linger: 0 });
    closingSub.connect(closing.pubEndpoint!);
    const got: Buffer[][] = [];
    void collect(closingSub, got);
    try {
      closingSub.subscribe(roomTopic('live'));
      await waitFor(() => closing.subscriptions.rooms === 1, 'the subscription');
      const sent = 4000;
      for (let seq = 1; seq <= sent; seq += 1) await closingPush.send(pushFrames([important('live', seq)]));
      // The node reads in this process too, behind the sends: close with messages still queued in PULL.
      expect(closing.counters.msgsIn).toBeLessThan(sent);
      await closing.close();
      const published = () => got.reduce((sum, frames) => sum + decodeBatchMeta(frames[1]).count, 0);
      await waitFor(() => published() === sent, `all ${sent} messages published (at ${published()})`);
      expect(closing.counters).toMatchObject({ msgsIn: sent, droppedShutdown: 0 });
    } finally {
      closingPush.close();
      closingSub.close();
      await closing.close();
    }
  });
});
