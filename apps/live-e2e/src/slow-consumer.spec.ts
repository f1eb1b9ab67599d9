import { connect, type LiveClient as SdkClient, type RoomMessage } from '@live-im/client-sdk';
import { waitFor } from '@live-im/testing';
import type { LiveClient } from './support/live-client';
import { LiveCluster } from './support/live-cluster';
import { guest, registerUser, roomIdFor, runProblems, UNBOUNDED_SENDS } from './support/fixtures';
import { PausableProxy } from './support/pausable-proxy';

/** A normal push's body: near the 8 KB a body may hold, so the flood fills kernel buffers quickly. */
const FILLER = 'x'.repeat(7 * 1024);
/** Pushes in flight at once during the flood. */
const IN_FLIGHT = 3;
/** Normal pushes at most before the gateway must have seen the stalled socket fall behind. */
const MAX_FLOOD = 6000;
/** Important messages sent while the slow socket is behind. */
const IMPORTANT = 20;
/** The SDK's reconnect delays, short so the test does not wait on them. */
const RECONNECT = { minDelayMs: 100, maxDelayMs: 1000, factor: 2, jitter: 0.5 };

/**
 * A client that stops reading (its TCP path stalls at a proxy that no longer reads the gateway's
 * socket) while a flood runs: the gateway sees its backlog in bytes, skips it for normal batches
 * (counted), and never drops an important message for it: it either gets every one once it reads
 * again, or is cut off and, resuming, gets them all. A healthy client in the same room gets
 * everything, in order.
 */
describe('a socket that stops reading during a flood', () => {
  let cluster: LiveCluster;
  let proxy: PausableProxy;
  const roomId = roomIdFor('slow');
  let sdk: SdkClient | undefined;

  beforeAll(async () => {
    cluster = await LiveCluster.start({
      label: 'slow',
      gateways: 1,
      roomEnv: UNBOUNDED_SENDS,
      // Every normal message published: the test counts what a healthy client must get.
      nodeEnv: { NORMAL_CAP_PER_SEC: '1000000' },
    });
    const api = cluster.api();
    const owner = await registerUser(api, 'owner');
    await api.createRoom(roomId, 'slow', owner.user.userId);
    const gateway = cluster.gateways[0];
    if (gateway === undefined) throw new Error('one gateway expected');
    proxy = await PausableProxy.start('127.0.0.1', gateway.httpPort);
  }, 60_000);

  afterAll(async () => {
    sdk?.close();
    await proxy?.close();
    await cluster?.close();
  });

  it('skips it for normal, and it ends with every important message; the healthy client gets everything', async () => {
    const gateway = cluster.gateways[0];
    if (gateway === undefined) throw new Error('one gateway expected');
    const api = cluster.api();
    const healthy: LiveClient = (await cluster.joined(0, roomId, { token: (await guest(api)).token })).client;
    sdk = connect({
      url: `http://127.0.0.1:${proxy.port}`,
      token: (await guest(api)).token,
      transports: ['websocket'],
      reconnect: RECONNECT,
    });
    const slow = await sdk.joinRoom(roomId);
    const slowImportant: RoomMessage[] = [];
    slow.on('message', (message) => {
      if (message.lane === 'important') slowImportant.push(message);
    });
    const skipped = (): Promise<number> =>
      gateway.metric('gateway_slow_sockets_total', { lane: 'normal', outcome: 'skipped' });
    const skippedBefore = await skipped();

    proxy.stopReading();
    // Normal pushes until the gateway skips the stalled socket: its kernel buffers full, the rest
    // waits in the gateway's memory where the backlog counts it.
    let pushed = 0;
    let behind = false;
    const pushNormal = async (): Promise<void> => {
      pushed += 1;
      await api.push(roomId, { lane: 'normal', type: 'custom', body: { n: pushed, filler: FILLER } });
    };
    while (!behind) {
      await Promise.all(Array.from({ length: IN_FLIGHT }, pushNormal));
      if (pushed % (IN_FLIGHT * 10) === 0) behind = (await skipped()) > skippedBefore;
      if (pushed > MAX_FLOOD) throw new Error(`no socket skipped after ${pushed} normal pushes`);
    }

    // Important messages while it is behind, with more normal ones in between.
    for (let i = 1; i <= IMPORTANT; i += 1) {
      const result = await api.push(roomId, { lane: 'important', type: 'custom', body: { important: i } });
      expect(result.seq).toBe(i);
      await Promise.all(Array.from({ length: IN_FLIGHT }, pushNormal));
    }
    expect(await skipped()).toBeGreaterThan(skippedBefore);

    proxy.startReading();
    // Every important message, whether it waited at the gateway or came back with the resume.
    await waitFor(() => slow.seqs.important >= IMPORTANT, {
      timeoutMs: 60_000,
      what: `the slow client to reach important seq ${IMPORTANT} (at ${slow.seqs.important})`,
    });
    const seqs = slowImportant.map((message) => message.seq);
    expect(runProblems(seqs, 1, IMPORTANT)).toEqual({ missing: [], repeated: [] });
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));

    // The healthy client: every message of both lanes, once, in order.
    await healthy.waitForSeq(roomId, 'normal', pushed, 60_000);
    await healthy.waitForSeq(roomId, 'important', IMPORTANT, 60_000);
    expect(healthy.violations).toEqual([]);
    expect(healthy.disconnectReason).toBeUndefined();
    // The slow socket never costs the healthy one a normal message. The normal lane itself may
    // lose what the broadcast cluster's reorder window gave up on while this 2-core host is
    // flooded: the gateway's subscriber then reports a gap, and the messages stay in the room's
    // history for a client to pull (the SDK does). Nothing else may be missing.
    const normal = runProblems(healthy.seqs(roomId, 'normal'), 1, pushed);
    expect(normal.repeated).toEqual([]);
    const subscriberGaps = await gateway.metric('gateway_subscriber_batches_total', { kind: 'gap' });
    if (normal.missing.length > 0) {
      // Named with the missing seqs: were they lost upstream of the gateway?
      expect({ missing: normal.missing, gapUpstream: subscriberGaps > 0 }).toEqual({
        missing: normal.missing,
        gapUpstream: true,
      });
      const first = Math.min(...normal.missing);
      const page = await healthy.send('history', { roomId, lane: 'normal', afterSeq: first - 1, limit: 200 });
      const logged = new Set(page.messages.map((message) => message.seq));
      expect(normal.missing.filter((seq) => !logged.has(seq))).toEqual([]);
    }
    expect(runProblems(healthy.seqs(roomId, 'important'), 1, IMPORTANT)).toEqual({
      missing: [],
      repeated: [],
    });
    expect(healthy.outOfOrder(roomId, 'normal')).toEqual([]);
    expect(healthy.outOfOrder(roomId, 'important')).toEqual([]);
  });
});
