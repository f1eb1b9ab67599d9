import { ErrorCode, RpcError } from '@live-im/contracts';
import { ManualTimers } from './__tests__/manual-timers';
import { type BatchEvent, ReceiptBatcher } from './receipt-batcher';
import type { ReceiptOutcome } from './receipt-tracker';

function receipt(i: number): ReceiptOutcome {
  return {
    messageId: 'm_1',
    roomId: 'room1',
    userId: `u_${String(i).padStart(8, '0')}`,
    status: 'delivered',
  };
}

/** A room-service stand-in whose answers the test gives, call by call. */
class Calls {
  readonly sent: ReceiptOutcome[][] = [];
  private readonly answers: Array<{ resolve: () => void; reject: (error: unknown) => void }> = [];

  send = (batch: ReceiptOutcome[]): Promise<void> => {
    this.sent.push(batch);
    return new Promise((resolve, reject) => this.answers.push({ resolve, reject }));
  };

  get open(): number {
    return this.answers.length;
  }

  async answer(error?: RpcError): Promise<void> {
    const next = this.answers.shift();
    if (next === undefined) throw new Error('no call to answer');
    if (error === undefined) next.resolve();
    else next.reject(error);
    // The batcher reacts in the promise's callbacks.
    await new Promise((resolve) => setImmediate(resolve));
  }
}

function setup(overrides: { maxQueued?: number } = {}) {
  const timers = new ManualTimers();
  const calls = new Calls();
  const events: BatchEvent[] = [];
  let overflow = 0;
  const batcher = new ReceiptBatcher({
    maxBatch: 100,
    batchDelayMs: 50,
    maxInFlight: 2,
    maxQueued: overrides.maxQueued ?? 10_000,
    retryMinMs: 100,
    retryMaxMs: 1000,
    send: calls.send,
    onBatch: (event) => events.push(event),
    onOverflow: () => {
      overflow += 1;
    },
    timers,
    random: () => 0.5,
  });
  return { timers, calls, events, batcher, overflow: () => overflow };
}

describe('ReceiptBatcher', () => {
  it('sends a burst as full batches, at most two calls out, the rest as the answers come', async () => {
    const { calls, batcher, events } = setup();
    for (let i = 0; i < 1000; i += 1) batcher.add(receipt(i));
    expect(calls.sent.map((b) => b.length)).toEqual([100, 100]);
    expect(batcher.queued).toBe(800);
    while (calls.open > 0) await calls.answer();
    expect(calls.sent).toHaveLength(10);
    expect(calls.sent.flat().map((r) => r.userId)).toEqual(
      Array.from({ length: 1000 }, (_, i) => receipt(i).userId),
    );
    expect(events.every((e) => e.outcome === 'sent' && e.size === 100)).toBe(true);
  });

  it('holds a batch that is not full for its delay, then sends it whole', async () => {
    const { timers, calls, batcher } = setup();
    for (let i = 0; i < 30; i += 1) batcher.add(receipt(i));
    expect(calls.sent).toHaveLength(0);
    timers.advance(49);
    batcher.add(receipt(30));
    expect(calls.sent).toHaveLength(0);
    timers.advance(1);
    expect(calls.sent.map((b) => b.length)).toEqual([31]);
    await calls.answer();
    expect(calls.sent).toHaveLength(1);
  });

  it('sends a refused batch again after a back-off that doubles, and loses none', async () => {
    const { timers, calls, batcher, events } = setup();
    for (let i = 0; i < 150; i += 1) batcher.add(receipt(i));
    timers.advance(50);
    expect(calls.sent.map((b) => b.length)).toEqual([100, 50]);
    await calls.answer(new RpcError(ErrorCode.OVERLOADED, 'queue full'));
    await calls.answer(new RpcError(ErrorCode.OVERLOADED, 'queue full'));
    expect(batcher.queued).toBe(150);
    // Back-off: half of 100 ms fixed, half random (0.5 here) = 75 ms.
    timers.advance(74);
    expect(calls.sent).toHaveLength(2);
    timers.advance(1);
    expect(calls.sent.map((b) => b.length)).toEqual([100, 50, 100, 50]);
    // The third refusal in a row: 400 ms ceiling, 300 ms back-off.
    await calls.answer(new RpcError(ErrorCode.SERVICE_UNAVAILABLE, 'no worker'));
    await calls.answer();
    timers.advance(299);
    expect(calls.sent).toHaveLength(4);
    timers.advance(1);
    await calls.answer();
    // Every receipt went through once: the answered calls are the 4th and the 5th.
    expect(
      calls.sent
        .slice(3)
        .flat()
        .map((r) => r.userId)
        .sort(),
    ).toEqual(Array.from({ length: 150 }, (_, i) => receipt(i).userId));
    expect(events.map((e) => `${e.outcome}:${e.size}`)).toEqual([
      'retried:100',
      'retried:50',
      'retried:100',
      'sent:50',
      'sent:100',
    ]);
  });

  it('drops a batch refused for good, and what overflows the queue, counting both', async () => {
    const { calls, batcher, events } = setup();
    for (let i = 0; i < 100; i += 1) batcher.add(receipt(i));
    await calls.answer(new RpcError(ErrorCode.INVALID_ARGUMENT, 'bad'));
    expect(events).toEqual([{ size: 100, outcome: 'dropped', code: ErrorCode.INVALID_ARGUMENT }]);
    expect(batcher.queued).toBe(0);

    const small = setup({ maxQueued: 5 });
    for (let i = 0; i < 8; i += 1) small.batcher.add(receipt(i));
    expect(small.overflow()).toBe(3);
    expect(small.batcher.queued).toBe(5);
  });

  it('drains at shutdown without waiting for full batches', async () => {
    const { calls, batcher } = setup();
    for (let i = 0; i < 10; i += 1) batcher.add(receipt(i));
    const drained = batcher.drain(1000);
    expect(calls.sent.map((b) => b.length)).toEqual([10]);
    await calls.answer();
    await drained;
    expect(batcher.queued).toBe(0);
  });
});
