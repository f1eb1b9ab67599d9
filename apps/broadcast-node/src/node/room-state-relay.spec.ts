import {
  bcastHeader,
  BroadcastCommand,
  decodeBatchMeta,
  decodeRoomStateFrame,
  encodeRoomStates,
  roomOfTopic,
  roomTopic,
} from '@live-im/broadcast';
import { waitFor } from '../__tests__/wait-for';
import { closeNodeWithPeers, type NodeWithPeers, startNodeWithPeers } from './__tests__/node-with-peers';
import { important, pushFrames } from './__tests__/push-frames';

const state = (roomId: string, importantSeq: number) => ({
  roomId,
  count: 3,
  peak: 4,
  viewersEver: 5,
  normalSeq: 10,
  importantSeq,
});

describe('BroadcastNode: room states and the test hook', () => {
  let peers: NodeWithPeers | undefined;

  afterEach(async () => {
    if (peers) await closeNodeWithPeers(peers);
    peers = undefined;
  });

  it('forwards a room state on the room topic to its subscribers only, and counts bad ones', async () => {
    peers = await startNodeWithPeers('bn-states');
    const { node, push, sub, received } = peers;
    sub.subscribe(roomTopic('live'));
    await waitFor(() => node.subscriptions.subscribersOf('live') === 1, 'the subscription');

    await push.send([
      bcastHeader(BroadcastCommand.ROOM_STATE),
      encodeRoomStates([state('live', 2), state('quiet', 1)]),
    ]);
    await waitFor(() => received.length === 1, 'the state of the subscribed room');
    const [topic, frame] = received[0] as [Buffer, Buffer];
    expect(received[0]).toHaveLength(2);
    expect(roomOfTopic(topic)).toBe('live');
    expect(decodeRoomStateFrame('live', frame)).toEqual(state('live', 2));
    expect(node.roomStates.counters).toEqual({ forwarded: 1, noSubscriber: 1, malformed: 0 });

    await push.send([bcastHeader(BroadcastCommand.ROOM_STATE), Buffer.from([9, 9])]);
    await waitFor(() => node.roomStates.counters.malformed === 1, 'the bad push to be counted');
    // States never enter the lanes: the room's messages are untouched.
    expect(node.counters.msgsIn).toBe(0);
  });

  it('drops, with the test hook, the important frame holding the named seq and counts it', async () => {
    peers = await startNodeWithPeers('bn-hook', { testDropImportantSeq: 2 });
    const { node, push, sub, received } = peers;
    sub.subscribe(roomTopic('live'));
    await waitFor(() => node.subscriptions.subscribersOf('live') === 1, 'the subscription');
    for (const seq of [1, 2, 3]) {
      await push.send(pushFrames([important('live', seq)]));
      await waitFor(() => node.counters.importantIn === seq, `seq ${seq} to be read`);
    }
    await waitFor(() => received.length === 2, 'the frames of seqs 1 and 3');
    expect(received.map((frames) => decodeBatchMeta(frames[1]).firstSeq)).toEqual([1, 3]);
    expect(node.droppedByTestHook).toBe(1);
  });
});
