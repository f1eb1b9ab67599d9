/** What a sender writes to: a zeromq.js socket's `send`, which allows one pending call at a time. */
export interface MessageSink {
  send(frames: Buffer[]): Promise<void>;
}

/**
 * The single writer of a control socket: messages leave one at a time in the order given. A
 * refused message (not connected, high-water mark) is reported and dropped, never retried: the
 * control protocols repeat themselves (heartbeats, re-registration), so a retry would only be stale.
 */
export class SerialSender {
  private readonly queue: Buffer[][] = [];
  private flushing = false;
  private closed = false;

  constructor(
    private readonly sink: MessageSink,
    private readonly onRefused: (frames: Buffer[], error: unknown) => void,
  ) {}

  get depth(): number {
    return this.queue.length;
  }

  send(frames: Buffer[]): void {
    if (this.closed) return;
    this.queue.push(frames);
    void this.flush();
  }

  /** Drops whatever is queued and refuses more. */
  close(): void {
    this.closed = true;
    this.queue.length = 0;
  }

  private async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      let frames: Buffer[] | undefined;
      while (!this.closed && (frames = this.queue.shift()) !== undefined) {
        try {
          await this.sink.send(frames);
        } catch (error) {
          if (!this.closed) this.onRefused(frames, error);
        }
      }
    } finally {
      this.flushing = false;
    }
  }
}
