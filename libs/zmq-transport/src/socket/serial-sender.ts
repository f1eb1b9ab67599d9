import { FrameSink } from './outbound-queue';

/**
 * The single writer of one socket whose messages are not coalesced (PUB, control DEALERs and
 * ROUTERs): messages leave one at a time in the order given (zeromq.js allows one pending send),
 * which is what keeps a room's frames in seq order. A refused send (peer gone, high-water mark) is
 * reported and dropped, never retried: the protocols that use it repeat themselves or count gaps.
 */
export class SerialSender {
  private queue: Buffer[][] = [];
  private head = 0;
  private flushing = false;
  private closed = false;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly sink: FrameSink,
    private readonly onRefused: (frames: Buffer[], error: unknown) => void,
  ) {}

  get depth(): number {
    return this.queue.length - this.head;
  }

  push(frames: Buffer[]): void {
    if (this.closed) return;
    this.queue.push(frames);
    if (!this.flushing) void this.flush();
  }

  /** Resolves once everything pushed so far has been handed to the socket. */
  whenIdle(): Promise<void> {
    if (this.depth === 0 && !this.flushing) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Drops whatever is queued and refuses more. */
  close(): void {
    this.closed = true;
    this.queue = [];
    this.head = 0;
    this.wakeIdle();
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (!this.closed && this.head < this.queue.length) {
        const frames = this.queue[this.head];
        this.head += 1;
        try {
          await this.sink.send(frames);
        } catch (error) {
          if (!this.closed) this.onRefused(frames, error);
        }
      }
      // Compact once drained instead of shift()ing: shift is O(n) on a long queue.
      this.queue = [];
      this.head = 0;
    } finally {
      this.flushing = false;
      this.wakeIdle();
    }
  }

  private wakeIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const wake of waiters) wake();
  }
}
