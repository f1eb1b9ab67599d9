import type { ReceiptStatus, RoomMessage } from '@live-im/contracts';

/** The timer functions the tracker uses; tests hand in a manual one to move time without sleeping. */
export interface ReceiptTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const SYSTEM_TIMERS: ReceiptTimers = {
  setTimeout: (callback, ms) => {
    const handle = setTimeout(callback, ms);
    // Pending receipts never keep a stopping process alive.
    handle.unref();
    return handle;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** One user's outcome for one requireAck message, as room.receipt takes it. */
export interface ReceiptOutcome {
  messageId: string;
  roomId: string;
  userId: string;
  status: ReceiptStatus;
}

export interface ReceiptTrackerOptions {
  /** Wait before the first re-delivery; each later one waits twice as long as the one before. */
  retryMs: number;
  /** Without an ack this long after tracking, the user's receipt is `expired`. */
  timeoutMs: number;
  /** Most (message, user) pairs held; past it the oldest are reported expired at once. */
  maxPending: number;
  /** Epoch milliseconds. */
  now: () => number;
  timers?: ReceiptTimers;
  /** Sends the message again to these users' sockets in its room. */
  redeliver: (message: RoomMessage, userIds: readonly string[]) => void;
  /** A user acked (delivered) or never did (expired); called once per tracked pair. */
  report: (outcome: ReceiptOutcome) => void;
}

interface PendingMessage {
  readonly message: RoomMessage;
  /** Users who have not acked yet. */
  readonly users: Set<string>;
  readonly expiresAt: number;
  /** Wait before the next re-delivery. */
  nextDelayMs: number;
  timer: unknown;
}

/**
 * Receipts of requireAck messages on one gateway: a tracked message is re-delivered to its unacked users at `retryMs`, then twice as late each
 * time, until every user acked or `timeoutMs` passed. Pairs are kept per message, so a room-wide
 * message with many local users costs one timer, and a re-delivery reaches them all in one go.
 */
export class ReceiptTracker {
  private readonly timers: ReceiptTimers;
  /** By message id; insertion order is age, which the bound uses to drop the oldest first. */
  private readonly messages = new Map<string, PendingMessage>();
  private pairs = 0;

  constructor(private readonly options: ReceiptTrackerOptions) {
    for (const [name, value] of [
      ['retryMs', options.retryMs],
      ['timeoutMs', options.timeoutMs],
      ['maxPending', options.maxPending],
    ] as const) {
      if (!Number.isInteger(value) || value < 1)
        throw new Error(`ReceiptTracker: ${name} must be a positive integer`);
    }
    this.timers = options.timers ?? SYSTEM_TIMERS;
  }

  /** (message, user) pairs waiting for an ack. */
  get pending(): number {
    return this.pairs;
  }

  /** Waits for each user's ack of `message`; users already waiting for it are not tracked twice. */
  track(message: RoomMessage, userIds: Iterable<string>): void {
    let entry = this.messages.get(message.id);
    const isNew = entry === undefined;
    if (entry === undefined) {
      entry = {
        message,
        users: new Set(),
        expiresAt: this.options.now() + this.options.timeoutMs,
        nextDelayMs: this.options.retryMs,
        timer: undefined,
      };
    }
    for (const userId of userIds) {
      if (entry.users.has(userId)) continue;
      entry.users.add(userId);
      this.pairs += 1;
    }
    if (entry.users.size === 0) return;
    if (isNew) {
      this.messages.set(message.id, entry);
      this.schedule(entry, Math.min(this.options.retryMs, this.options.timeoutMs));
    }
    this.enforceBound();
  }

  /** A user acked: reports `delivered` and returns true when the pair was waiting. */
  ack(messageId: string, userId: string): boolean {
    const entry = this.messages.get(messageId);
    if (entry === undefined || !entry.users.delete(userId)) return false;
    this.pairs -= 1;
    if (entry.users.size === 0) this.forget(entry);
    this.emit(entry.message, userId, 'delivered');
    return true;
  }

  /** Shutdown: every pair still waiting is reported expired; nothing is re-delivered after. */
  expireAll(): void {
    for (const entry of [...this.messages.values()]) this.expire(entry);
  }

  private schedule(entry: PendingMessage, delayMs: number): void {
    entry.timer = this.timers.setTimeout(() => this.fire(entry), Math.max(0, delayMs));
  }

  private fire(entry: PendingMessage): void {
    entry.timer = undefined;
    if (this.messages.get(entry.message.id) !== entry) return;
    const now = this.options.now();
    if (now >= entry.expiresAt) {
      this.expire(entry);
      return;
    }
    try {
      this.options.redeliver(entry.message, [...entry.users]);
    } catch {
      // A failed re-delivery is retried at the next step; the ack or the expiry still settles it.
    }
    entry.nextDelayMs *= 2;
    this.schedule(entry, Math.min(entry.nextDelayMs, entry.expiresAt - now));
  }

  private expire(entry: PendingMessage): void {
    this.forget(entry);
    const users = [...entry.users];
    this.pairs -= users.length;
    entry.users.clear();
    for (const userId of users) this.emit(entry.message, userId, 'expired');
  }

  /** Past the bound, the oldest pairs are given up first: their users are reported expired. */
  private enforceBound(): void {
    while (this.pairs > this.options.maxPending) {
      const oldest = this.messages.values().next().value;
      if (oldest === undefined) return;
      const [userId] = oldest.users;
      if (userId === undefined) {
        this.forget(oldest);
        continue;
      }
      oldest.users.delete(userId);
      this.pairs -= 1;
      if (oldest.users.size === 0) this.forget(oldest);
      this.emit(oldest.message, userId, 'expired');
    }
  }

  private forget(entry: PendingMessage): void {
    if (this.messages.get(entry.message.id) === entry) this.messages.delete(entry.message.id);
    if (entry.timer !== undefined) {
      this.timers.clearTimeout(entry.timer);
      entry.timer = undefined;
    }
  }

  private emit(message: RoomMessage, userId: string, status: ReceiptStatus): void {
    try {
      this.options.report({ messageId: message.id, roomId: message.roomId, userId, status });
    } catch {
      // The reporter owns its failures (it logs them); the tracker's state is already settled.
    }
  }
}
