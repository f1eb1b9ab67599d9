import { Dealer } from 'zeromq';
import { Command } from '../protocol/command';
import { monotonicMs } from './clock';
import { OutboundQueue, RPC_EAGER_PAIRS } from './outbound-queue';
import { readLoop } from './read-loop';
import { TransportLogger } from './transport-logger';
import { RPC_MESSAGE_LIMITS } from './message-limits';
import type { BusSecurity } from '@live-im/config';
import { routedCurveClientOptions } from '../zap/curve-sockets';

/** What a link reports to its owner (the RPC client or worker). */
export interface BrokerLinkHandlers {
  /** Every message the broker sends, header frame first; must not throw. */
  onMessage(link: BrokerLink, frames: Buffer[]): void;
  /** A connection to the broker completed its handshake: sends now reach it. */
  onConnected(link: BrokerLink): void;
  /** The connection dropped: whatever the broker held for this connection is gone. */
  onDisconnected(link: BrokerLink): void;
  /** The socket refused a message (no connection, high-water mark): it was not sent at all. */
  onUnsent(link: BrokerLink, command: Command, frames: Buffer[]): void;
}

export interface BrokerLinkOptions {
  lingerMs: number;
  logger: TransportLogger;
  /** OutboundQueue's eagerPairs; default RPC_EAGER_PAIRS. */
  eagerPairs?: number;
  /** CURVE towards the brokers (their key from the trust list); plain when absent or off. */
  security?: BusSecurity;
  /** readLoop's settleBetweenMessages: a worker's link lets one batch's handlers answer first. */
  settleBetweenMessages?: boolean;
}

/**
 * One DEALER connected to one broker endpoint, with its single writer (OutboundQueue) and its
 * single reader loop. `immediate` plus a zero send timeout make a send to a broker that is not
 * connected fail at once instead of queueing in the pipe: a request parked there would reach a
 * restarted broker long after the caller gave up on it (or re-sent it elsewhere).
 */
export class BrokerLink {
  readonly socket: Dealer;
  readonly queue: OutboundQueue;
  /** Monotonic time of the last message from the broker; -Infinity before the first. */
  lastSeenAt = Number.NEGATIVE_INFINITY;
  private closed = false;
  private signWaiters: Array<(seen: boolean) => void> = [];

  constructor(
    readonly index: number,
    readonly endpoint: string,
    private readonly handlers: BrokerLinkHandlers,
    private readonly options: BrokerLinkOptions,
  ) {
    this.socket = new Dealer({
      linger: options.lingerMs,
      immediate: true,
      sendTimeout: 0,
      // Messages are coalesced batches, so this bounds memory without refusing normal bursts.
      sendHighWaterMark: 10_000,
      // A broker (or something posing as one) cannot make this process allocate more per frame.
      maxMessageSize: RPC_MESSAGE_LIMITS.peerBytes,
      ...routedCurveClientOptions(options.security, brokerKeyOf(options.security)),
    });
    this.queue = new OutboundQueue(this.socket, {
      eagerPairs: options.eagerPairs ?? RPC_EAGER_PAIRS,
      onSendError: (_dest, command, frames) => this.handlers.onUnsent(this, command, frames),
    });
  }

  /** Connects and starts the reader loop; the DEALER reconnects by itself from then on. */
  start(): void {
    this.socket.events.on('handshake', () => {
      if (!this.closed) this.handlers.onConnected(this);
    });
    this.socket.events.on('disconnect', () => {
      if (!this.closed) this.handlers.onDisconnected(this);
    });
    this.socket.connect(this.endpoint);
    void this.read();
  }

  send(command: Command, frames?: Buffer[]): void {
    this.queue.pushMessage(null, command, frames);
  }

  /** `holdMs`: how long the pair may wait to leave with others (OutboundQueue.pushPair). */
  sendPair(command: Command, meta: Buffer, body: Buffer, holdMs = 0): void {
    this.queue.pushPair(null, command, meta, body, holdMs);
  }

  /** What waits in this link's queue, unsent: taken back when the broker is found dead. */
  takeUnsent(): Array<{ command: Command; frames: Buffer[] }> {
    return this.queue.takeUnsent();
  }

  silentForMs(now: number): number {
    return now - this.lastSeenAt;
  }

  /** Resolves true at the next message from the broker, false if none comes within timeoutMs. */
  nextSign(timeoutMs: number): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        const at = this.signWaiters.indexOf(settle);
        if (at !== -1) this.signWaiters.splice(at, 1);
        resolve(false);
      }, timeoutMs);
      const settle = (seen: boolean): void => {
        clearTimeout(timer);
        resolve(seen);
      };
      this.signWaiters.push(settle);
    });
  }

  /** Lets queued messages reach the socket (bounded), then closes it. */
  async close(flushMs = 0): Promise<void> {
    if (this.closed) return;
    if (flushMs > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        this.queue.whenIdle(),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, flushMs))),
      ]);
      clearTimeout(timer);
    }
    this.closed = true;
    this.queue.close();
    this.socket.close();
    this.wakeSignWaiters(false);
  }

  private read(): Promise<void> {
    const logger = this.options.logger;
    return readLoop(
      this.socket,
      () => !this.closed,
      (frames) => {
        this.lastSeenAt = monotonicMs();
        if (this.signWaiters.length > 0) this.wakeSignWaiters(true);
        this.handlers.onMessage(this, frames);
      },
      {
        handling: (error) =>
          logger.error(`rpc: handling a message from ${this.endpoint} failed: ${describe(error)}`),
        receiving: (error) =>
          logger.error(`rpc: receiving from ${this.endpoint} failed, reading on: ${describe(error)}`),
      },
      { settleBetweenMessages: this.options.settleBetweenMessages },
    );
  }

  private wakeSignWaiters(seen: boolean): void {
    const waiters = this.signWaiters;
    this.signWaiters = [];
    for (const wake of waiters) wake(seen);
  }
}

function brokerKeyOf(security: BusSecurity | undefined): string | undefined {
  return security?.mode === 'curve' ? security.trust.rpcBroker : undefined;
}

/** A one-line account of anything thrown (plain objects included: Nest filters throw those). */
export function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'object' && error !== null) {
    try {
      return JSON.stringify(error);
    } catch {
      return Object.prototype.toString.call(error);
    }
  }
  return String(error);
}
