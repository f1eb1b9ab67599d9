import { ErrorCode } from '@live-im/contracts';
import { rejection, RoomFixture, user } from '../__tests__/room-fixture';
import { ReceiptSweeper } from './receipt-sweeper';

describe('receipts of requireAck pushes (real Redis)', () => {
  const fx = new RoomFixture('room-receipts');
  const host = user('host0001');
  const [ann, ben, cid] = [user('ann00001'), user('ben00001'), user('cid00001')];

  afterAll(() => fx.cleanup());

  it('records the first report of each user of a room-wide message and tells the business once', async () => {
    const roomId = await fx.openRoom();
    const pushed = await fx.push.push({
      roomId,
      lane: 'normal',
      type: 'custom',
      body: { notice: 'vote now' },
      requireAck: true,
      ackTimeoutSec: 30,
    });
    // requireAck forces the important lane.
    expect(pushed).toMatchObject({ lane: 'important', seq: 1, duplicate: false });
    expect(fx.outlet.on(roomId)[0]).toMatchObject({ requireAck: true, from: { userId: 'u_system' } });

    const report = (userId: string, status: 'delivered' | 'expired') =>
      fx.desk.record({ messageId: pushed.messageId, roomId, userId, status });
    await expect(report(ann.userId, 'delivered')).resolves.toEqual({ recorded: true });
    await expect(report(ann.userId, 'expired')).resolves.toEqual({ recorded: false });
    await expect(report(ben.userId, 'expired')).resolves.toEqual({ recorded: true });

    const events = fx.business.received.filter((r) => r.messageId === pushed.messageId);
    expect(events).toEqual([
      {
        messageId: pushed.messageId,
        roomId,
        userId: ann.userId,
        status: 'delivered',
        ts: expect.any(Number),
        senderId: null,
      },
      {
        messageId: pushed.messageId,
        roomId,
        userId: ben.userId,
        status: 'expired',
        ts: expect.any(Number),
        senderId: null,
      },
    ]);
    const ttl = await fx.redis.pttl(fx.keys.receipt(roomId, pushed.messageId));
    expect(ttl).toBeGreaterThan(3_600_000);
    expect(ttl).toBeLessThanOrEqual(3_630_000);
  });

  it('records a batch of reports in one call and tells the business in one batch', async () => {
    const roomId = await fx.openRoom();
    // A sender of its own: its channel holds only this test's notices.
    const pollster = user('poll0001');
    const pushed = await fx.push.push({
      roomId,
      lane: 'important',
      type: 'custom',
      body: { poll: 'ready?' },
      requireAck: true,
      ackTimeoutSec: 30,
      from: pollster,
    });
    const viewers = Array.from({ length: 40 }, (_, i) => user(`vw${String(i).padStart(6, '0')}`));
    const batchesBefore = fx.business.batches.length;
    const answer = await fx.desk.recordAll({
      receipts: [
        ...viewers.map((v) => ({
          messageId: pushed.messageId,
          roomId,
          userId: v.userId,
          status: 'delivered' as const,
        })),
        // A repeat of a final receipt, and a message nobody pushed.
        { messageId: pushed.messageId, roomId, userId: viewers[0].userId, status: 'expired' },
        { messageId: 'm_nothing', roomId, userId: ann.userId, status: 'delivered' },
      ],
    });
    expect(answer).toEqual({ recorded: 40, final: 1, unknown: 1 });
    expect(fx.business.batches.slice(batchesBefore)).toEqual([40]);
    const events = fx.business.received.filter((r) => r.messageId === pushed.messageId);
    expect(events.map((e) => e.userId).sort()).toEqual(viewers.map((v) => v.userId).sort());
    expect(events.every((e) => e.status === 'delivered' && e.senderId === pollster.userId)).toBe(true);
    // The sender hears of each one on its channel.
    const notices = fx.outlet
      .on(`_${pollster.userId}`)
      .filter((m) => (m.body as { receipt?: { messageId: string } }).receipt?.messageId === pushed.messageId);
    expect(notices).toHaveLength(40);
    // One run of consecutive seqs, published in order.
    expect(notices.map((m) => m.seq)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  });

  it('answers NOT_FOUND for a message without a receipt record', async () => {
    const roomId = await fx.openRoom();
    const error = await rejection(
      fx.desk.record({ messageId: 'm_nothing', roomId, userId: ann.userId, status: 'delivered' }),
    );
    expect(error.code).toBe(ErrorCode.NOT_FOUND);
  });

  it('sends a targeted push to each recipient channel, and each receipt to the sending user', async () => {
    const roomId = await fx.openRoom();
    const pushed = await fx.push.push({
      roomId,
      lane: 'important',
      type: 'signal',
      body: { invite: 'co-host' },
      to: [ann.userId, ben.userId],
      requireAck: true,
      ackTimeoutSec: 10,
      from: host,
      clientMsgId: 'invite-1',
    });
    expect(pushed).toMatchObject({ lane: 'important', seq: null, duplicate: false });
    expect(fx.outlet.on(roomId)).toEqual([]);
    for (const recipient of [ann, ben]) {
      const [copy] = fx.outlet.on(`_${recipient.userId}`);
      expect(copy).toMatchObject({
        id: pushed.messageId,
        roomId,
        lane: 'important',
        seq: expect.any(Number),
        type: 'signal',
        from: { userId: host.userId },
        body: { invite: 'co-host' },
        to: [recipient.userId],
        requireAck: true,
      });
    }

    await expect(
      fx.desk.record({ messageId: pushed.messageId, roomId, userId: ann.userId, status: 'delivered' }),
    ).resolves.toEqual({ recorded: true });
    // Only recipients report on a targeted message.
    await expect(
      fx.desk.record({ messageId: pushed.messageId, roomId, userId: cid.userId, status: 'delivered' }),
    ).resolves.toEqual({ recorded: false });

    const [notice] = fx.outlet.on(`_${host.userId}`);
    expect(notice).toMatchObject({
      roomId,
      lane: 'important',
      type: 'system',
      to: [host.userId],
      body: {
        event: 'receipt',
        receipt: { messageId: pushed.messageId, roomId, userId: ann.userId, status: 'delivered' },
      },
    });
    expect(fx.business.received.filter((r) => r.messageId === pushed.messageId)).toEqual([
      expect.objectContaining({ userId: ann.userId, status: 'delivered', senderId: host.userId }),
    ]);

    // A retried push returns the first result and reaches nobody again.
    const before = fx.outlet.published.length;
    const again = await fx.push.push({
      roomId,
      lane: 'important',
      type: 'signal',
      body: { invite: 'co-host' },
      to: [ann.userId, ben.userId],
      requireAck: true,
      ackTimeoutSec: 10,
      from: host,
      clientMsgId: 'invite-1',
    });
    expect(again).toEqual({ ...pushed, duplicate: true });
    expect(fx.outlet.published.length).toBe(before);
  });

  it('numbers each user channel on its own', async () => {
    const roomId = await fx.openRoom();
    const dan = user('dan00001');
    for (let i = 0; i < 3; i += 1) {
      await fx.push.push({
        roomId,
        lane: 'important',
        type: 'custom',
        body: { i },
        to: [dan.userId],
        requireAck: false,
        ackTimeoutSec: 30,
      });
    }
    expect(fx.outlet.on(`_${dan.userId}`).map((m) => m.seq)).toEqual([1, 2, 3]);
    expect(await fx.redis.pttl(fx.keys.userChannelSeq(dan.userId))).toBeGreaterThan(86_000_000);
  });

  it('expires only the still pending recipients, once, however many workers sweep', async () => {
    // A fixture of its own: the due set is shared by every room of a prefix.
    const own = new RoomFixture('room-sweep');
    try {
      const roomId = await own.openRoom();
      const pushed = await own.push.push({
        roomId,
        lane: 'important',
        type: 'signal',
        body: { invite: 'pk' },
        to: [ann.userId, ben.userId, cid.userId],
        requireAck: true,
        ackTimeoutSec: 10,
        from: host,
      });
      await own.desk.record({ messageId: pushed.messageId, roomId, userId: ann.userId, status: 'delivered' });

      const sweeper = () => new ReceiptSweeper(own.receipts, own.reporter, own.clock, 1000);
      const [first, second] = [sweeper(), sweeper()];
      // Not due before ackTimeoutSec + grace.
      own.clock.advance(14_000);
      expect(await Promise.all([first.sweep(), second.sweep()])).toEqual([0, 0]);
      own.clock.advance(2_000);
      const counts = await Promise.all([first.sweep(), second.sweep()]);
      expect(counts[0] + counts[1]).toBe(2);
      expect(await Promise.all([first.sweep(), second.sweep()])).toEqual([0, 0]);

      const events = own.business.received.filter((r) => r.messageId === pushed.messageId);
      expect(events.map((e) => [e.userId, e.status]).sort()).toEqual([
        [ann.userId, 'delivered'],
        [ben.userId, 'expired'],
        [cid.userId, 'expired'],
      ]);
      expect(events.every((e) => e.senderId === host.userId)).toBe(true);
      const notices = own.outlet
        .on(`_${host.userId}`)
        .filter((m) => (m.body['receipt'] as { messageId: string }).messageId === pushed.messageId);
      expect(notices).toHaveLength(3);
      // A late ack of an expired recipient is not recorded again.
      await expect(
        own.desk.record({ messageId: pushed.messageId, roomId, userId: ben.userId, status: 'delivered' }),
      ).resolves.toEqual({ recorded: false });
    } finally {
      await own.cleanup();
    }
  });

  it('refuses a guest pushing as a user', async () => {
    const roomId = await fx.openRoom();
    const error = await rejection(
      fx.push.push({
        roomId,
        lane: 'important',
        type: 'signal',
        body: {},
        to: [ann.userId],
        requireAck: false,
        ackTimeoutSec: 30,
        from: user('visitor1', 'guest'),
      }),
    );
    expect(error.code).toBe(ErrorCode.FORBIDDEN);
  });
});
