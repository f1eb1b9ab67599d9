import type { RoomMessage } from '@live-im/contracts';
import { ManualTimers } from './__tests__/manual-timers';
import { ReceiptOutcome, ReceiptTracker } from './receipt-tracker';

function message(id: string, roomId = 'room1'): RoomMessage {
  return {
    id,
    roomId,
    lane: 'important',
    seq: 1,
    type: 'custom',
    from: { userId: 'u_system', nickname: 'system', level: 0 },
    body: { text: 'vote now' },
    ts: 1,
    requireAck: true,
  };
}

function setup(overrides: { maxPending?: number; retryMs?: number; timeoutMs?: number } = {}) {
  const timers = new ManualTimers();
  const redeliveries: Array<{ messageId: string; users: string[]; at: number }> = [];
  const reports: ReceiptOutcome[] = [];
  const tracker = new ReceiptTracker({
    retryMs: overrides.retryMs ?? 1000,
    timeoutMs: overrides.timeoutMs ?? 15_000,
    maxPending: overrides.maxPending ?? 100,
    now: () => timers.now,
    timers,
    redeliver: (m, users) => redeliveries.push({ messageId: m.id, users: [...users].sort(), at: timers.now }),
    report: (outcome) => reports.push(outcome),
  });
  return { timers, tracker, redeliveries, reports, start: timers.now };
}

describe('ReceiptTracker', () => {
  it('re-delivers at the retry interval, doubling, until the timeout, then reports expired', () => {
    const { timers, tracker, redeliveries, reports, start } = setup();
    tracker.track(message('m1'), ['u_alice1']);
    timers.advance(20_000);
    expect(redeliveries.map((r) => r.at - start)).toEqual([1000, 3000, 7000]);
    expect(reports).toEqual([{ messageId: 'm1', roomId: 'room1', userId: 'u_alice1', status: 'expired' }]);
    expect(tracker.pending).toBe(0);
    expect(timers.scheduled).toBe(0);
  });

  it('expires exactly at the timeout even when it falls between two re-deliveries', () => {
    const { timers, tracker, reports, start } = setup({ timeoutMs: 5000 });
    let expiredAt = -1;
    tracker.track(message('m1'), ['u_alice1']);
    for (let t = 0; t < 6000 && expiredAt < 0; t += 100) {
      timers.advance(100);
      if (reports.length > 0) expiredAt = timers.now - start;
    }
    expect(expiredAt).toBe(5000);
  });

  it('reports delivered on the ack and stops re-delivering to that user only', () => {
    const { timers, tracker, redeliveries, reports } = setup();
    tracker.track(message('m1'), ['u_alice1', 'u_bobby1']);
    timers.advance(1000);
    expect(redeliveries[0]?.users).toEqual(['u_alice1', 'u_bobby1']);

    expect(tracker.ack('m1', 'u_alice1')).toBe(true);
    expect(reports).toEqual([{ messageId: 'm1', roomId: 'room1', userId: 'u_alice1', status: 'delivered' }]);
    timers.advance(2000);
    expect(redeliveries[1]?.users).toEqual(['u_bobby1']);

    expect(tracker.ack('m1', 'u_bobby1')).toBe(true);
    expect(tracker.pending).toBe(0);
    expect(timers.scheduled).toBe(0);
    timers.advance(60_000);
    expect(redeliveries).toHaveLength(2);
    expect(reports.map((r) => r.status)).toEqual(['delivered', 'delivered']);
  });

  it('ignores acks of unknown pairs and repeated acks', () => {
    const { tracker, reports } = setup();
    expect(tracker.ack('nope', 'u_alice1')).toBe(false);
    tracker.track(message('m1'), ['u_alice1']);
    expect(tracker.ack('m1', 'u_bobby1')).toBe(false);
    expect(tracker.ack('m1', 'u_alice1')).toBe(true);
    expect(tracker.ack('m1', 'u_alice1')).toBe(false);
    expect(reports).toHaveLength(1);
  });

  it('tracks a message seen again for more users on the first schedule, without double-counting', () => {
    const { timers, tracker, redeliveries, start } = setup();
    tracker.track(message('m1'), ['u_alice1']);
    timers.advance(500);
    tracker.track(message('m1'), ['u_alice1', 'u_bobby1']);
    expect(tracker.pending).toBe(2);
    timers.advance(500);
    expect(redeliveries).toEqual([{ messageId: 'm1', users: ['u_alice1', 'u_bobby1'], at: start + 1000 }]);
  });

  it('keeps at most maxPending pairs, expiring the oldest first', () => {
    const { tracker, reports } = setup({ maxPending: 3 });
    tracker.track(message('m1'), ['u_alice1', 'u_bobby1']);
    tracker.track(message('m2'), ['u_carol1']);
    tracker.track(message('m3'), ['u_david1', 'u_erin11']);
    expect(tracker.pending).toBe(3);
    expect(reports).toEqual([
      { messageId: 'm1', roomId: 'room1', userId: 'u_alice1', status: 'expired' },
      { messageId: 'm1', roomId: 'room1', userId: 'u_bobby1', status: 'expired' },
    ]);
    expect(tracker.ack('m3', 'u_david1')).toBe(true);
  });

  it('expires everything on shutdown and schedules nothing after', () => {
    const { timers, tracker, reports, redeliveries } = setup();
    tracker.track(message('m1'), ['u_alice1']);
    tracker.track(message('m2', 'room2'), ['u_bobby1']);
    tracker.expireAll();
    expect(reports.map((r) => `${r.messageId}/${r.roomId}/${r.status}`)).toEqual([
      'm1/room1/expired',
      'm2/room2/expired',
    ]);
    expect(timers.scheduled).toBe(0);
    timers.advance(60_000);
    expect(redeliveries).toHaveLength(0);
  });

  it('survives a failing re-delivery and a failing reporter', () => {
    const timers = new ManualTimers();
    let attempts = 0;
    const tracker = new ReceiptTracker({
      retryMs: 1000,
      timeoutMs: 4000,
      maxPending: 10,
      now: () => timers.now,
      timers,
      redeliver: () => {
        attempts += 1;
        throw new Error('socket gone');
      },
      report: () => {
        throw new Error('broker down');
      },
    });
    tracker.track(message('m1'), ['u_alice1']);
    timers.advance(10_000);
    expect(attempts).toBe(2);
    expect(tracker.pending).toBe(0);
  });

  it('rejects nonsensical settings', () => {
    expect(
      () =>
        new ReceiptTracker({
          retryMs: 0,
          timeoutMs: 1,
          maxPending: 1,
          now: Date.now,
          redeliver: () => undefined,
          report: () => undefined,
        }),
    ).toThrow(/retryMs/);
  });
});
