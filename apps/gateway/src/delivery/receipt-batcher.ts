import { ErrorCode, RpcError } from '@live-im/contracts';
import type { ReceiptOutcome } from './receipt-tracker';
import { type ReceiptTimers, SYSTEM_TIMERS } from './receipt-tracker';

/** Answers that say "not now": the batch is sent again after a back-off (room.receipts is idempotent). */
const RETRYABLE: ReadonlySet<string> = new Set([
  ErrorCode.OVERLOADED,
  ErrorCode.SERVICE_UNAVAILABLE,
  ErrorCode.WORKER_LOST,
  ErrorCode.DEADLINE_EXCEEDED,
  ErrorCode.RATE_LIMITED,
]);

/** What became of one batch, for metrics and the one debug line per batch. */
export interface BatchEvent {
  size: number;
  /** sent: answered; retried: refused for now, queued again; dropped: refused for good. */
  outcome: 'sent' | 'retried' | 'dropped';
  code?: string;
}

export interface ReceiptBatcherOptions {
  /** Receipts per call at most. */
  maxBatch: number;
  /** A batch that is not full leaves this long after its first receipt was queued. */
  batchDelayMs: number;
  /** Calls waiting for an answer at most; the queue waits behind them (this is the pacing). */
  maxInFlight: number;
  /** Receipts queued at most; past it a new one is dropped and counted (bounded memory). */
  maxQueued: number;
  /** First back-off after a refused batch; doubles per refusal in a row, up to retryMaxMs. */
  retryMinMs: number;
  retryMaxMs: number;
  /** One call for the batch; rejects with the RpcError of the answer. */
  send: (batch: ReceiptOutcome[]) => Promise<unknown>;
  onBatch: (event: BatchEvent) => void;
  /** A receipt dropped because the queue was full. */
  onOverflow: () => void;
  timers?: ReceiptTimers;
  /** 0..1, for the back-off's jitter. */
  random?: () => number;
}

/**
 * A gateway's receipts on their way to room-service: queued, sent in calls of up to maxBatch with
 * at most maxInFlight calls out, so a room-wide requireAck push that expires thousands of
 * receipts at one instant becomes a paced train of calls instead of one call per receipt; a batch
 * the broker or room-service refuses for now (its queue full, no worker) is sent again after a
 * jittered back-off instead of being lost. Memory is bounded by maxQueued.
 */
export class ReceiptBatcher {
  private readonly timers: ReceiptTimers;
  private readonly random: () => number;
  private queue: ReceiptOutcome[] = [];
  private inFlight = 0;
  private timer: unknown;
  /** The oldest queued receipt may leave in a batch that is not full (its delay is over). */
  private due = false;
  /** Refusals in a row; > 0 while backing off. */
  private refusals = 0;
  private backingOff = false;
  private idleWaiters: Array<() => void> = [];
  private draining = false;

  constructor(private readonly options: ReceiptBatcherOptions) {
    for (const [name, value] of [
      ['maxBatch', options.maxBatch],
      ['batchDelayMs', options.batchDelayMs],
      ['maxInFlight', options.maxInFlight],
      ['maxQueued', options.maxQueued],
      ['retryMinMs', options.retryMinMs],
      ['retryMaxMs', options.retryMaxMs],
    ] as const) {
      if (!Number.isInteger(value) || value < 1)
        throw new Error(`ReceiptBatcher: ${name} must be a positive integer`);
    }
    this.timers = options.timers ?? SYSTEM_TIMERS;
    this.random = options.random ?? Math.random;
  }

  /** Receipts queued, not yet handed to a call. */
  get queued(): number {
    return this.queue.length;
  }

  /** Receipts in calls not answered yet are not counted; calls are. */
  get calls(): number {
    return this.inFlight;
  }

  /** Queues one receipt; false when the queue is full (dropped, counted). */
  add(outcome: ReceiptOutcome): boolean {
    if (this.queue.length >= this.options.maxQueued) {
      this.options.onOverflow();
      return false;
    }
    this.queue.push(outcome);
    if (this.queue.length >= this.options.maxBatch) this.pump();
    else if (this.timer === undefined && !this.backingOff) this.arm(this.options.batchDelayMs);
    return true;
  }

  /**
   * Shutdown: sends what is queued without waiting for full batches, and resolves once the queue
   * is empty and every call answered, or after `withinMs`.
   */
  async drain(withinMs: number): Promise<void> {
    this.draining = true;
    this.pump();
    if (this.isIdle()) return;
    let deadline: unknown;
    await Promise.race([
      new Promise<void>((resolve) => this.idleWaiters.push(resolve)),
      new Promise<void>((resolve) => {
        deadline = this.timers.setTimeout(resolve, withinMs);
      }),
    ]);
    this.timers.clearTimeout(deadline);
  }

  private isIdle(): boolean {
    return this.queue.length === 0 && this.inFlight === 0;
  }

  private arm(delayMs: number): void {
    this.timer = this.timers.setTimeout(() => {
      this.timer = undefined;
      this.backingOff = false;
      this.due = true;
      this.pump();
    }, delayMs);
  }

  private pump(): void {
    while (!this.backingOff && this.inFlight < this.options.maxInFlight && this.queue.length > 0) {
      const full = this.queue.length >= this.options.maxBatch;
      if (!full && !this.due && !this.draining) break;
      const batch = this.queue.splice(0, this.options.maxBatch);
      // What is left is as old as what left: still due, until the queue is empty.
      if (this.queue.length === 0) this.due = false;
      this.inFlight += 1;
      void this.options.send(batch).then(
        () => this.settled(batch, undefined),
        (error: unknown) => this.settled(batch, RpcError.from(error)),
      );
    }
    // What stays queued leaves after a delay of its own, unless a call's answer pumps first.
    if (this.queue.length > 0 && this.timer === undefined && !this.backingOff) {
      this.arm(this.options.batchDelayMs);
    }
  }

  private settled(batch: ReceiptOutcome[], error: RpcError | undefined): void {
    this.inFlight -= 1;
    if (error === undefined) {
      this.refusals = 0;
      this.options.onBatch({ size: batch.length, outcome: 'sent' });
    } else if (RETRYABLE.has(error.code)) {
      // Back at the head of the queue (they are the oldest); memory stays bounded by the queue's bound.
      this.queue = batch.concat(this.queue);
      this.refusals += 1;
      this.options.onBatch({ size: batch.length, outcome: 'retried', code: error.code });
      this.backOff();
    } else {
      this.options.onBatch({ size: batch.length, outcome: 'dropped', code: error.code });
    }
    // A full queue after a retry would refuse new receipts; past the bound the oldest go first.
    if (this.queue.length > this.options.maxQueued) {
      const excess = this.queue.length - this.options.maxQueued;
      this.queue.splice(0, excess);
      for (let i = 0; i < excess; i += 1) this.options.onOverflow();
    }
    // An answer frees a call: the next batch leaves now if it is full or its delay is over.
    this.pump();
    if (this.isIdle()) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const wake of waiters) wake();
    }
  }

  private backOff(): void {
    if (this.backingOff) return;
    const ceiling = Math.min(this.options.retryMaxMs, this.options.retryMinMs * 2 ** (this.refusals - 1));
    // Half fixed, half random: gateways refused together do not come back together.
    const delay = Math.round(ceiling / 2 + (this.random() * ceiling) / 2);
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.backingOff = true;
    this.arm(delay);
  }
}
