import type { BatchInfo, Lane, RoomMessage } from '@live-im/contracts';
import { waitFor } from '@live-im/testing';
import type { LiveClient } from './support/live-client';
import { LiveCluster } from './support/live-cluster';
import { clientMsgId, guest, isRun, registerUser, roomIdFor } from './support/fixtures';

/**
 * What the SDK does on a gap: the seqs between the last one seen and the first one of the batch
 * that revealed the gap are pulled with `history`.
 */
async function recoverGaps(client: LiveClient, roomId: string, lane: Lane): Promise<RoomMessage[]> {
  const seqs = client.seqs(roomId, lane);
  const recovered: RoomMessage[] = [];
  let expected = 1;
  for (const seq of seqs) {
    if (seq > expected) {
      const page = await client.send('history', {
        roomId,
        lane,
        afterSeq: expected - 1,
        limit: seq - expected,
      });
      recovered.push(...page.messages);
    }
    expected = seq + 1;
  }
  return recovered;
}

describe('a client that misses a seq', () => {
  let cluster: LiveCluster;
  const roomId = roomIdFor('gap');
  let sender: LiveClient;

  beforeAll(async () => {
    cluster = await LiveCluster.start({
      label: 'gap',
      gateways: 1,
      roomEnv: { USER_RATE_POINTS: '1000', USER_RATE_WINDOW_SEC: '1' },
    });
    const api = cluster.api();
    const owner = await registerUser(api, 'owner');
    await api.createRoom(roomId, 'gaps', owner.user.userId);
    sender = (await cluster.joined(0, roomId, { token: (await registerUser(api, 'sender')).token })).client;
  }, 60_000);

  afterAll(async () => {
    await cluster?.close();
  });

  it.each<Lane>(['normal', 'important'])('recovers a lost %s batch through history', async (lane) => {
    let batches = 0;
    // The network loses the third batch of the lane this client receives.
    const dropBatch = (info: BatchInfo): boolean => info.lane === lane && (batches += 1) === 3;
    const { client, join } = await cluster.joined(0, roomId, {
      token: (await guest(cluster.api())).token,
      dropBatch,
    });
    const start = join.seqs[lane];
    const count = 6;
    let last = start;
    const frames = (): Promise<number> => cluster.nodeMetric('broadcast_node_batches_out_total', { lane });
    for (let i = 0; i < count; i += 1) {
      const framesBefore = await frames();
      const ack =
        lane === 'normal'
          ? await sender.send('chat', { roomId, text: `message ${i}`, clientMsgId: clientMsgId() })
          : await sender.send('gift', { roomId, giftId: 'rose', count: i + 1, clientMsgId: clientMsgId() });
      last = ack.seq;
      // Each message leaves the nodes in a batch of its own before the next is sent.
      await waitFor(async () => (await frames()) > framesBefore, {
        intervalMs: 5,
        what: `${lane} message ${i} to leave the nodes`,
      });
    }
    expect(last).toBe(start + count);
    await client.waitForSeq(roomId, lane, last);
    expect(client.droppedBatches).toHaveLength(1);
    const lost = client.droppedBatches.flatMap((b) => b.messages);
    expect(lost.length).toBeGreaterThan(0);
    // The gap is visible: the lost seqs are not among those received.
    const received = client.seqs(roomId, lane);
    expect(isRun(received, start + 1, last)).toBe(false);

    const recovered = await recoverGaps(client, roomId, lane);
    expect(recovered).toEqual(lost);
    const all = [...received, ...recovered.map((m) => m.seq)].sort((a, b) => a - b);
    expect(isRun(all, start + 1, last)).toBe(true);
  });

  it('pages history by afterSeq and limit, and reports the latest seq', async () => {
    const { client } = await cluster.joined(0, roomId, { token: (await guest(cluster.api())).token });
    const page1 = await client.send('history', { roomId, lane: 'normal', afterSeq: 0, limit: 2 });
    const page2 = await client.send('history', { roomId, lane: 'normal', afterSeq: 2, limit: 2 });
    expect(page1.messages.map((m) => m.seq)).toEqual([1, 2]);
    expect(page2.messages.map((m) => m.seq)).toEqual([3, 4]);
    const stats = await cluster.api().stats(roomId);
    expect(page1.latestSeq).toBe(stats.seqs.normal);
    expect(page1.oldestSeq).toBe(1);
  });
});
