import type { RoomMessage, SendResult } from '@live-im/contracts';
import { waitFor } from '@live-im/testing';
import type { LiveClient } from './support/live-client';
import { LiveCluster } from './support/live-cluster';
import { clientMsgId, guest, inBatches, registerUser, roomIdFor, runProblems } from './support/fixtures';

const VIEWERS = 200;
const CHATS_PER_SENDER = 20;
const GIFTS_PER_SENDER = 4;

describe('one room, 200 viewers over two gateways', () => {
  let cluster: LiveCluster;
  const roomId = roomIdFor('order');
  const viewers: LiveClient[] = [];
  const senders: LiveClient[] = [];

  beforeAll(async () => {
    cluster = await LiveCluster.start({
      label: 'order',
      // Three senders sending 28 messages each in a burst: above the default per-user budget.
      roomEnv: { USER_RATE_POINTS: '1000', USER_RATE_WINDOW_SEC: '1' },
    });
    const api = cluster.api(0);
    const owner = await registerUser(api, 'owner');
    await api.createRoom(roomId, 'ordering', owner.user.userId);

    const sessions = await Promise.all([0, 1, 2].map((i) => registerUser(cluster.api(i % 2), `sender${i}`)));
    for (const [i, session] of sessions.entries()) {
      senders.push((await cluster.joined(i % 2, roomId, { token: session.token })).client);
    }
    const guests = await inBatches(Array.from({ length: VIEWERS }), 20, (_, i) => guest(cluster.api(i % 2)));
    viewers.push(
      ...(await inBatches(guests, 20, async (session, i) => {
        const { client, join } = await cluster.joined(i % 2, roomId, { token: session.token });
        expect(join.seqs).toEqual({ normal: 0, important: 0 });
        return client;
      })),
    );
  }, 120_000);

  afterAll(async () => {
    await cluster?.close();
  });

  it('delivers every chat and gift to every viewer, in one order per lane, the same for all', async () => {
    // Every sender sends its chats and gifts one after another; the three run at once, so the
    // room's order is decided by room-service, not by the test.
    const sent = await Promise.all(
      senders.map(async (sender, s) => {
        const results: SendResult[] = [];
        for (let i = 0; i < CHATS_PER_SENDER; i += 1) {
          results.push(
            await sender.send('chat', { roomId, text: `sender ${s} chat ${i}`, clientMsgId: clientMsgId() }),
          );
          if (i % 5 === 4 && i / 5 < GIFTS_PER_SENDER) {
            results.push(
              await sender.send('gift', { roomId, giftId: 'rose', count: i + 1, clientMsgId: clientMsgId() }),
            );
          }
        }
        return results;
      }),
    );
    const all = sent.flat();
    const chats = all.filter((r) => r.lane === 'normal');
    const gifts = all.filter((r) => r.lane === 'important');
    expect(chats).toHaveLength(3 * CHATS_PER_SENDER);
    expect(gifts).toHaveLength(3 * GIFTS_PER_SENDER);
    // Each lane's seqs are gapless from 1: the ack seqs are exactly 1..n.
    expect(chats.map((r) => r.seq).sort((a, b) => a - b)).toEqual(range(1, chats.length));
    expect(gifts.map((r) => r.seq).sort((a, b) => a - b)).toEqual(range(1, gifts.length));

    const everyone = [...viewers, ...senders];
    await waitFor(
      () =>
        everyone.every(
          (c) =>
            c.lastSeq(roomId, 'normal') >= chats.length && c.lastSeq(roomId, 'important') >= gifts.length,
        ),
      {
        timeoutMs: 30_000,
        intervalMs: 100,
        what: `every client to reach normal ${chats.length} / important ${gifts.length} (behind: ${
          everyone.filter(
            (c) =>
              c.lastSeq(roomId, 'normal') < chats.length || c.lastSeq(roomId, 'important') < gifts.length,
          ).length
        })`,
      },
    );

    const idsBySeq = new Map(all.map((r) => [`${r.lane}:${r.seq}`, r.messageId]));
    // Every message, once, in seq order (the room's one order), on every client: a report per
    // client that is wrong, so a failure says which gateway's clients and which seqs.
    const problems = everyone.flatMap((client, index) => {
      const report = {
        client:
          index < viewers.length
            ? `viewer ${index} on gateway ${index % 2}`
            : `sender ${index - viewers.length}`,
        violations: client.violations,
        normal: runProblems(client.seqs(roomId, 'normal'), 1, chats.length),
        important: runProblems(client.seqs(roomId, 'important'), 1, gifts.length),
        outOfOrder: [...client.outOfOrder(roomId, 'normal'), ...client.outOfOrder(roomId, 'important')],
      };
      const fine =
        report.violations.length === 0 &&
        report.outOfOrder.length === 0 &&
        [report.normal, report.important].every((r) => r.missing.length === 0 && r.repeated.length === 0);
      return fine ? [] : [report];
    });
    expect({ clientsWithProblems: problems.length, first: problems.slice(0, 3) }).toEqual({
      clientsWithProblems: 0,
      first: [],
    });
    // The very messages the senders were acked for, identical for every client.
    const reference = everyone[0];
    for (const client of everyone) {
      expect(client.messages(roomId, 'normal').map(idOf)).toEqual(
        reference.messages(roomId, 'normal').map(idOf),
      );
      expect(client.messages(roomId, 'important').map(idOf)).toEqual(
        reference.messages(roomId, 'important').map(idOf),
      );
    }
    for (const message of [
      ...reference.messages(roomId, 'normal'),
      ...reference.messages(roomId, 'important'),
    ]) {
      expect(message.id).toBe(idsBySeq.get(`${message.lane}:${message.seq}`));
      expect(message.roomId).toBe(roomId);
      expect(message.type).toBe(message.lane === 'normal' ? 'chat' : 'gift');
    }
    // Each sender's own messages keep the order it sent them in.
    for (const [s] of senders.entries()) {
      const texts = reference
        .messages(roomId, 'normal')
        .map((m) => m.body['text'])
        .filter((t): t is string => typeof t === 'string' && t.startsWith(`sender ${s} `));
      expect(texts).toEqual(range(0, CHATS_PER_SENDER - 1).map((i) => `sender ${s} chat ${i}`));
    }
  });
});

function idOf(message: RoomMessage): string {
  return message.id;
}

function range(first: number, last: number): number[] {
  return Array.from({ length: last - first + 1 }, (_, i) => first + i);
}
