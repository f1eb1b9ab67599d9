import type { RoomMessage } from '@live-im/contracts';
import { sleep } from '@live-im/testing';
import type { LiveClient } from './support/live-client';
import { LiveCluster } from './support/live-cluster';
import { clientMsgId, guest, registerUser, roomIdFor, runProblems } from './support/fixtures';

/** Normal messages a node lets through per room per second: far below the flood. */
const NORMAL_CAP_PER_SEC = 30;
/** A long merge window: normal messages wait up to a second at the node, important ones never. */
const MERGE_WINDOW_MS = 1000;
const FLOOD_MS = 3500;
const IMPORTANT_EVERY_MS = 250;

describe('the important lane under a chat flood', () => {
  let cluster: LiveCluster;
  const roomId = roomIdFor('flood');
  const receivers: LiveClient[] = [];
  const flooders: LiveClient[] = [];
  let gifter: LiveClient;

  beforeAll(async () => {
    cluster = await LiveCluster.start({
      label: 'flood',
      roomEnv: {
        USER_RATE_POINTS: '100000',
        USER_RATE_WINDOW_SEC: '1',
        ROOM_RATE_POINTS: '100000',
        ROOM_RATE_WINDOW_SEC: '1',
      },
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
    const droppedBefore = await cluster.nodeMetric('broadcast_node_dropped_total', { reason: 'cap' });
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
    await sleep(300);
    const api = cluster.api(1);
    for (let i = 0; i < Math.floor(FLOOD_MS / IMPORTANT_EVERY_MS); i += 1) {
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
      await sleep(IMPORTANT_EVERY_MS);
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
    // The last normal windows close within MERGE_WINDOW_MS.
    await sleep(MERGE_WINDOW_MS + 500);

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
    const droppedAfter = await cluster.nodeMetric('broadcast_node_dropped_total', { reason: 'cap' });
    expect(droppedAfter - droppedBefore).toBeGreaterThan(0);
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
    const last = before + acks.flat().length;
    expect(Math.max(...acks.flat())).toBe(last);
    for (const client of receivers) await client.waitForSeq(roomId, 'important', last, 15_000);
    await sleep(300);
    for (const [index, client] of receivers.entries()) {
      expect({
        receiver: index,
        ...runProblems(client.seqs(roomId, 'important'), 1, last),
        outOfOrder: client.outOfOrder(roomId, 'important'),
      }).toEqual({ receiver: index, missing: [], repeated: [], outOfOrder: [] });
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
