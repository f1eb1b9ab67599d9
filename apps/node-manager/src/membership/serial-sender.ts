/** What the sender writes to: a zeromq.js socket's `send`, which allows one pending call at a time. */
export interface FrameSink {
  send(frames: Buffer[]): Promise<void>;
}

/** The single writer of one socket: sends in order, one at a time; a refused message is reported and dropped. */
export class SerialSender {
  private readonly queue: Buffer[][] = [];
  private flushing = false;
  private closed = false;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly sink: FrameSink,
    private readonly onSendError: (frames: Buffer[], error: unknown) => void,
  ) {}

  push(frames: Buffer[]): void {
    if (this.closed) return;
    this.queue.push(frames);
    if (!this.flushing) void this.flush();
  }

  /** Resolves once everything queued so far has been handed to the socket. */
  whenIdle(): Promise<void> {
    if (this.queue.length === 0 && !this.flushing) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Drops whatever is queued and refuses more. */
  close(): void {
    this.closed = true;
    this.queue.length = 0;
    this.wakeIdle();
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      let frames: Buffer[] | undefined;
      while ((frames = this.queue.shift()) !== undefined) {
        try {
          await this.sink.send(frames);
        } catch (error) {
          if (this.closed) return;
          this.onSendError(frames, error);
        }
      }
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
