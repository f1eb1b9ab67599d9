import { waitFor } from '@live-im/testing';
import { LiveCluster, type BusinessReceipt } from './support/live-cluster';
import { registerUser, roomIdFor } from './support/fixtures';

const EVENT = 'business.receipts';

describe('business.receipts with no business worker', () => {
  let cluster: LiveCluster;
  const roomId = roomIdFor('biz');
  let recipientId: string;

  beforeAll(async () => {
    cluster = await LiveCluster.start({
      label: 'biz',
      gateways: 1,
      roomServices: 1,
      // Receipts of a recipient who never acks expire a second after the push.
      roomEnv: { RECEIPT_GRACE_SEC: '0', RECEIPT_SWEEP_MS: '200' },
    });
    const api = cluster.api(0);
    const owner = await registerUser(api, 'owner');
    await api.createRoom(roomId, 'business events', owner.user.userId);
    recipientId = owner.user.userId;
  }, 60_000);

  afterAll(async () => {
    await cluster?.close();
  });

  /** A targeted requireAck push nobody acks: its receipt expires and goes to business.receipts. */
  async function expiringReceipt(): Promise<string> {
    const push = await cluster.api(0).push(roomId, {
      to: [recipientId],
      requireAck: true,
      ackTimeoutSec: 1,
      type: 'signal',
      body: { signal: 'nobody acks this' },
    });
    return push.messageId;
  }

  it('counts the event as lost (SERVICE_UNAVAILABLE), not delivered; with a worker back, the next one is delivered', async () => {
    const room = cluster.roomServices[0];
    const lost = () =>
      room.metric('room_service_business_events_lost_total', { event: EVENT, reason: 'SERVICE_UNAVAILABLE' });
    const delivered = () =>
      room.metric('room_service_business_events_total', { event: EVENT, outcome: 'delivered' });
    const brokerUnavailable = await cluster.broker.metric('rpc_broker_service_unavailable_total');

    await expiringReceipt();
    await waitFor(
      async () => (await room.metric('room_service_receipts_total', { status: 'expired' })) === 1,
      {
        timeoutMs: 15_000,
        what: 'the receipt to expire',
      },
    );
    // The broker holds the request for its grace period, then answers SERVICE_UNAVAILABLE.
    await waitFor(async () => (await lost()) === 1, { timeoutMs: 15_000, what: 'the lost business receipt' });
    expect(await delivered()).toBe(0);
    expect(await room.metric('room_service_business_events_total', { event: EVENT, outcome: 'lost' })).toBe(
      1,
    );
    expect(await cluster.broker.metric('rpc_broker_service_unavailable_total')).toBe(brokerUnavailable + 1);

    const received: BusinessReceipt[] = [];
    cluster.businessWorker(received);
    await cluster.waitForService('business');
    const messageId = await expiringReceipt();
    await waitFor(async () => (await delivered()) === 1, {
      timeoutMs: 15_000,
      what: 'the delivered business receipt',
    });
    expect(received.map((r) => r.messageId)).toEqual([messageId]);
    expect(await lost()).toBe(1);
  });
});
