import { roomTopic } from '@live-im/broadcast';
import { sendOversizedFrame, waitFor as poll } from '@live-im/testing';
import { peerDisconnectCount } from '@live-im/zmq-transport';
import type { Push } from 'zeromq';
import { waitFor } from '../__tests__/wait-for';
import { closeNodeWithPeers, type NodeWithPeers, startNodeWithPeers } from './__tests__/node-with-peers';
import { important, pushFrames } from './__tests__/push-frames';
import { BroadcastNode } from './broadcast-node';

const FRAME_BYTES = 256 * 1024 * 1024;
/** "A few MB": what the node may grow by while refusing one 256 MB frame. */
const RSS_SLACK_BYTES = 16 * 1024 * 1024;

/**
 * docs/broadcast-protocol.md "Limits": a peer announcing a frame over the PULL's or the XPUB's
 * maxMessageSize is cut by libzmq before anything is allocated, counted, and the node keeps
 * publishing. The frame comes from a raw ZMTP peer, so the RSS measured is the node's alone.
 */
describe('BroadcastNode message size limit', () => {
  let peers: NodeWithPeers;
  let node: BroadcastNode;
  let push: Push;
  let received: Buffer[][];

  beforeAll(async () => {
    peers = await startNodeWithPeers('bn-limit');
    ({ node, push, received } = peers);
    peers.sub.subscribe(roomTopic('live'));
    await waitFor(() => node.subscriptions.rooms === 1, 'the subscription');
  });

  afterAll(() => closeNodeWithPeers(peers));

  it.each([
    ['pull', 'PUSH' as const, () => node.pullEndpoint!, 1],
    ['pub', 'XSUB' as const, () => node.pubEndpoint!, 2],
  ])(
    'cuts a 256 MB frame on its %s socket without growing, counts it and keeps publishing',
    async (name, type, endpoint, seq) => {
      const label = `broadcast_node_${name}`;
      const before = await peerDisconnectCount(label);
      const rssBefore = process.memoryUsage().rss;

      const { bytesSent } = await sendOversizedFrame(endpoint(), type, { frameBytes: FRAME_BYTES });

      expect(bytesSent).toBeLessThan(FRAME_BYTES);
      expect(process.memoryUsage().rss - rssBefore).toBeLessThan(RSS_SLACK_BYTES);
      await poll(async () => (await peerDisconnectCount(label)) > before, {
        what: `${label} disconnect counted`,
      });
      const batches = received.length;
      await push.send(pushFrames([important('live', seq)]));
      await waitFor(() => received.length > batches, 'a message published after the cut');
    },
  );
});
