import type { Actor } from '@live-im/contracts';
import { sleep, waitFor } from '@live-im/testing';
import type { Session } from './support/live-api';
import type { LiveClient } from './support/live-client';
import { LiveCluster, type BusinessReceipt } from './support/live-cluster';
import { registerUser, roomIdFor } from './support/fixtures';

const RECEIPT_RETRY_MS = 300;

describe('receipts of requireAck pushes', () => {
  let cluster: LiveCluster;
  const roomId = roomIdFor('rcpt');
  const business: BusinessReceipt[] = [];
  let sender: { session: Session; client: LiveClient };
  let from: Actor;

  beforeAll(async () => {
    cluster = await LiveCluster.start({
      label: 'rcpt',
      gatewayEnv: { RECEIPT_RETRY_MS: String(RECEIPT_RETRY_MS), RECEIPT_TIMEOUT_MS: '4000' },
      roomEnv: { RECEIPT_GRACE_SEC: '0', RECEIPT_SWEEP_MS: '200' },
    });
    cluster.businessWorker(business);
    await cluster.waitForService('business');
    const api = cluster.api(0);
    const owner = await registerUser(api, 'owner');
    await api.createRoom(roomId, 'receipts', owner.user.userId);
    const session = await registerUser(api, 'inviter');
    sender = { session, client: (await cluster.joined(0, roomId, { token: session.token })).client };
    const { userId, nickname, level, role } = session.user;
    from = { userId, nickname, level, role };
  }, 60_000);

  afterAll(async () => {
    await cluster?.close();
  });

  it('reports delivered to the sender and to business once the recipient acks, and stops re-delivering', async () => {
    const recipient = await registerUser(cluster.api(1), 'invitee');
    const { client } = await cluster.joined(1, roomId, { token: recipient.token });
    const push = await cluster.api(0).push(roomId, {
      to: [recipient.user.userId],
      requireAck: true,
      ackTimeoutSec: 30,
      type: 'signal',
      body: { signal: 'cohost-invite' },
      from,
    });
    expect(push).toMatchObject({ lane: 'important', seq: null, duplicate: false });

    await waitFor(() => client.directs.some((m) => m.id === push.messageId), { what: 'the targeted push' });
    const message = client.directs.find((m) => m.id === push.messageId);
    expect(message).toMatchObject({
      requireAck: true,
      type: 'signal',
      body: { signal: 'cohost-invite' },
      from: { userId: from.userId },
    });

    await waitFor(() => sender.client.receipts.some((r) => r.messageId === push.messageId), {
      what: "the sender's receipt",
    });
    expect(sender.client.receipts.filter((r) => r.messageId === push.messageId)).toEqual([
      expect.objectContaining({
        messageId: push.messageId,
        roomId,
        userId: recipient.user.userId,
        status: 'delivered',
      }),
    ]);
    await waitFor(() => business.some((r) => r.messageId === push.messageId), { what: 'business.receipt' });
    expect(business.filter((r) => r.messageId === push.messageId)).toEqual([
      expect.objectContaining({
        messageId: push.messageId,
        roomId,
        userId: recipient.user.userId,
        status: 'delivered',
        senderId: from.userId,
      }),
    ]);

    // Acked: the recipient's gateway stops tracking it, so nothing is left to re-deliver; the
    // recipient got it once, plus any re-delivery that left before its ack landed (counted).
    const gateway = cluster.gateways[1];
    await waitFor(async () => (await gateway.metric('gateway_receipts_pending')) === 0, {
      what: 'the recipient gateway to stop tracking the acked push',
    });
    const redelivered = await gateway.metric('gateway_directs_total', { kind: 'redelivery' });
    expect(client.directs.filter((m) => m.id === push.messageId)).toHaveLength(1 + redelivered);
    // Only the recipient got it: the sender is in the room too.
    expect(sender.client.arrivals.some((a) => a.message.id === push.messageId)).toBe(false);
  });

  it('reports expired for a recipient who never acks, after re-delivering to them', async () => {
    const silent = await registerUser(cluster.api(1), 'silent');
    const { client } = await cluster.joined(1, roomId, { token: silent.token, autoAck: false });
    const push = await cluster.api(1).push(roomId, {
      to: [silent.user.userId],
      requireAck: true,
      ackTimeoutSec: 2,
      type: 'signal',
      body: { signal: 'cohost-invite' },
      from,
    });

    await waitFor(() => sender.client.receipts.some((r) => r.messageId === push.messageId), {
      timeoutMs: 15_000,
      what: "the sender's expired receipt",
    });
    expect(sender.client.receipts.filter((r) => r.messageId === push.messageId)).toEqual([
      expect.objectContaining({ userId: silent.user.userId, status: 'expired' }),
    ]);
    await waitFor(() => business.some((r) => r.messageId === push.messageId), { what: 'business.receipt' });
    expect(business.filter((r) => r.messageId === push.messageId)).toEqual([
      expect.objectContaining({ userId: silent.user.userId, status: 'expired', senderId: from.userId }),
    ]);
    const deliveries = client.directs.filter((m) => m.id === push.messageId).length;
    expect(deliveries).toBeGreaterThanOrEqual(2);

    // Expired is final: a late ack changes nothing.
    await client.request('ack', { messageId: push.messageId });
    // Proving that no second receipt comes: there is no event to wait for, only a window to watch.
    await sleep(500);
    expect(sender.client.receipts.filter((r) => r.messageId === push.messageId)).toHaveLength(1);
    expect(business.filter((r) => r.messageId === push.messageId)).toHaveLength(1);
  });

  it('collects one receipt per member for a room-wide requireAck push', async () => {
    const members = await Promise.all([0, 1].map((g) => registerUser(cluster.api(g), `member${g}`)));
    const clients = await Promise.all(
      members.map(async (m, g) => (await cluster.joined(g, roomId, { token: m.token })).client),
    );
    const push = await cluster.api(0).push(roomId, {
      requireAck: true,
      ackTimeoutSec: 30,
      body: { poll: 'ready?' },
      from,
    });
    expect(push.lane).toBe('important');
    for (const client of clients) {
      await waitFor(() => client.acked.has(push.messageId), { what: 'the room-wide push' });
    }
    const ids = members.map((m) => m.user.userId);
    await waitFor(
      () =>
        ids.every((id) =>
          sender.client.receipts.some((r) => r.messageId === push.messageId && r.userId === id),
        ),
      { what: 'a receipt per member' },
    );
    await waitFor(
      () => ids.every((id) => business.some((r) => r.messageId === push.messageId && r.userId === id)),
      { what: 'business.receipt per member' },
    );
    for (const id of ids) {
      expect(
        sender.client.receipts
          .filter((r) => r.messageId === push.messageId && r.userId === id)
          .map((r) => r.status),
      ).toEqual(['delivered']);
    }
  });
});
