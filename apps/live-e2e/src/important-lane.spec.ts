import type { RoomMessage } from '@live-im/contracts';
import { waitFor } from '@live-im/testing';
import type { LiveClient } from './support/live-client';
import { LiveCluster } from './support/live-cluster';
import {
  clientMsgId,
  guest,
  registerUser,
  roomIdFor,
  runProblems,
  UNBOUNDED_SENDS,
} from './support/fixtures';

/** Normal messages a node lets through per room per second: far below the flood. */
const NORMAL_CAP_PER_SEC = 30;
/** A long merge window: normal messages wait up to a second at the node, important ones never. */
const MERGE_WINDOW_MS = 1000;
/** Important messages sent during the flood, alternating gifts and business pushes. */
const IMPORTANT_COUNT = 14;
/** Chats the flood sends between two important messages (several times what the cap lets through). */
const CHATS_BETWEEN = 20;

describe('the important lane under a chat flood', () => {
  let cluster: LiveCluster;
  const roomId = roomIdFor('flood');
  const receivers: LiveClient[] = [];
  const flooders: LiveClient[] = [];
  let gifter: LiveClient;

  beforeAll(async () => {
    cluster = await LiveCluster.start({
      label: 'flood',
      roomEnv: UNBOUNDED_SENDS,
      nodeEnv: {
        NORMAL_CAP_PER_SEC: String(NORMAL_CAP_PER_SEC),
        MERGE_WINDOW_MS: String(MERGE_WINDOW_MS),
        MERGE_MAX_MESSAGES: '10000',
      },
    });
    const api = cluster.api(0);
    const owner = await registerUser(api, 'owner');
    await api.createRoom(roomId, 'flood', owner.user.userId);
    const sessions = await Promise.all([0, 1, 2, 3].map((i) => registerUser(api, `flooder${i}`)));
    for (const [i, session] of sessions.entries()) {
      flooders.push((await cluster.joined(i % 2, roomId, { token: session.token })).client);
    }
    gifter = (await cluster.joined(1, roomId, { token: (await registerUser(api, 'gifter')).token })).client;
    for (let i = 0; i < 8; i += 1) {
      receivers.push((await cluster.joined(i % 2, roomId, { token: (await guest(api)).token })).client);
    }
  }, 90_000);

  afterAll(async () => {
    await cluster?.close();
  });

  it('delivers gifts and important pushes ahead of earlier chat, drops none of them, and counts normal drops', async () => {
    const dropped = (): Promise<number> =>
      cluster.nodeMetric('broadcast_node_dropped_total', { reason: 'cap' });
    const droppedBefore = await dropped();
    const normalOutBefore = await cluster.nodeMetric('broadcast_node_msgs_out_total', { lane: 'normal' });
    const normalMessages = (client: LiveClient): number => client.messages(roomId, 'normal').length;
    let flooding = true;
    let chatsSent = 0;
    // Four senders, each with a few chats in flight at all times: several times the node's cap.
    const flood = flooders.flatMap((sender, s) =>
      [0, 1].map(async (lane) => {
        for (let i = 0; flooding && i < 400; i += 1) {
          await sender.send('chat', { roomId, text: `flood ${s}.${lane}.${i}`, clientMsgId: clientMsgId() });
          chatsSent += 1;
        }
      }),
    );

    // Gifts over Socket.IO and business pushes over HTTP, alternating, while the flood runs.
    const importantSent: Array<{ via: 'gift' | 'push'; seq: number }> = [];
    const floodRunning = async (): Promise<void> => {
      const from = chatsSent;
      await waitFor(() => chatsSent >= from + CHATS_BETWEEN, { what: `${CHATS_BETWEEN} more flood chats` });
    };
    await floodRunning();
    const api = cluster.api(1);
    for (let i = 0; i < IMPORTANT_COUNT; i += 1) {
      if (i % 2 === 0) {
        const ack = await gifter.send('gift', {
          roomId,
          giftId: 'heart',
          count: 1,
          clientMsgId: clientMsgId(),
        });
        importantSent.push({ via: 'gift', seq: ack.seq });
      } else {
        const result = await api.push(roomId, { lane: 'important', type: 'custom', body: { notice: i } });
        expect(result.seq).not.toBeNull();
        importantSent.push({ via: 'push', seq: result.seq as number });
      }
      await floodRunning();
    }
    flooding = false;
    await Promise.all(flood);

    const lastImportant = Math.max(...importantSent.map((s) => s.seq));
    expect(importantSent.map((s) => s.seq)).toEqual(
      Array.from({ length: importantSent.length }, (_, i) => i + 1),
    );
    const stats = await api.stats(roomId);
    expect(stats.seqs.important).toBe(lastImportant);
    expect(stats.seqs.normal).toBe(chatsSent);

    for (const client of receivers) await client.waitForSeq(roomId, 'important', lastImportant, 15_000);
    // Every chat has left the nodes' merge windows (published or dropped by the cap), and every
    // receiver has what was published.
    const normalOut = (): Promise<number> =>
      cluster.nodeMetric('broadcast_node_msgs_out_total', { lane: 'normal' });
    await waitFor(
      async () => (await normalOut()) - normalOutBefore + (await dropped()) - droppedBefore >= chatsSent,
      { timeoutMs: 15_000, what: `all ${chatsSent} chats out of the merge windows` },
    );
    const published = (await normalOut()) - normalOutBefore;
    for (const [index, client] of receivers.entries()) {
      await waitFor(() => normalMessages(client) >= published, {
        timeoutMs: 15_000,
        what: `receiver ${index} to get the ${published} published chats (has ${normalMessages(client)})`,
      });
    }

    for (const [index, client] of receivers.entries()) {
      expect(client.violations).toEqual([]);
      // Not one important message dropped or repeated, in seq order.
      expect({
        receiver: index,
        ...runProblems(client.seqs(roomId, 'important'), 1, lastImportant),
        outOfOrder: client.outOfOrder(roomId, 'important'),
      }).toEqual({ receiver: index, missing: [], repeated: [], outOfOrder: [] });

      // Flow control dropped normal messages on purpose, and said so in the batch infos.
      const normalBatches = client.batches.filter(
        (b) => b.info.roomId === roomId && b.info.lane === 'normal',
      );
      const normalReceived = normalBatches.reduce((n, b) => n + b.messages.length, 0);
      const declaredDrops = normalBatches.reduce(
        (n, b) => n + (b.info.lastSeq - b.info.firstSeq + 1 - b.info.count),
        0,
      );
      expect(normalReceived).toBeLessThan(chatsSent);
      expect(declaredDrops).toBeGreaterThan(0);

      // Priority: an important message overtakes the normal ones stamped before it that were still
      // waiting in the node's merge window. Through one FIFO path none would be overtaken. A
      // message sent right as a window closes finds nothing waiting, hence "most", not "all".
      const arrivals = client.arrivals.map((a) => a.message);
      const important = arrivals.filter((m) => m.lane === 'important');
      const overtakes = important.map((g) => overtaken(arrivals, g));
      const overtaking = overtakes.filter((n) => n > 0).length;
      expect(overtaking).toBeGreaterThanOrEqual(Math.ceil(important.length * 0.75));

      // What flow control let through still arrives in seq order, each once: a batch whose range
      // overlaps the one before breaks BatchInfo's promise (count < range means dropped on purpose).
      expect(client.outOfOrder(roomId, 'normal')).toEqual([]);
    }
    expect((await dropped()) - droppedBefore).toBeGreaterThan(0);
  });

  it('loses no gift when many senders send at once through both room-service workers', async () => {
    const before = (await cluster.api(0).stats(roomId)).seqs.important;
    // Five senders with three gifts in flight each: the room's important seqs are handed out by
    // both workers, interleaved.
    const acks = await Promise.all(
      [...flooders, gifter].flatMap((sender) =>
        [0, 1, 2].map(async () => {
          const seqs: number[] = [];
          for (let i = 0; i < 8; i += 1) {
            seqs.push(
              (await sender.send('gift', { roomId, giftId: 'rose', count: 1, clientMsgId: clientMsgId() }))
                .seq,
            );
          }
          return seqs;
        }),
      ),
    );
    expect(Math.max(...acks.flat())).toBe(before + acks.flat().length);
    // One more gift after all of them: a receiver that has it has had its chance to get any of the
    // others twice (one ordered lane per socket).
    const last = (await gifter.send('gift', { roomId, giftId: 'rose', count: 1, clientMsgId: clientMsgId() }))
      .seq;
    expect(last).toBe(before + acks.flat().length + 1);
    for (const client of receivers) await client.waitForSeq(roomId, 'important', last, 15_000);
    for (const [index, client] of receivers.entries()) {
      expect({
        receiver: index,
        violations: client.violations,
        disconnected: client.disconnectReason,
        ...runProblems(client.seqs(roomId, 'important'), 1, last),
        outOfOrder: client.outOfOrder(roomId, 'important'),
      }).toEqual({
        receiver: index,
        violations: [],
        disconnected: undefined,
        missing: [],
        repeated: [],
        outOfOrder: [],
      });
    }
  });
});

/** Normal messages stamped before `g` that reached the client after it. */
function overtaken(arrivals: readonly RoomMessage[], g: RoomMessage): number {
  const at = arrivals.indexOf(g);
  let count = 0;
  for (let i = at + 1; i < arrivals.length; i += 1) {
    const m = arrivals[i];
    if (m.lane === 'normal' && m.ts < g.ts) count += 1;
  }
  return count;
}
