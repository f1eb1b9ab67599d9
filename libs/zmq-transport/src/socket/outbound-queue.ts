import { performance } from 'node:perf_hooks';
import { Command } from '../protocol/command';
import { header, packPairs } from '../protocol/frames';

/**
 * What the queue writes to: a zeromq.js socket's `send`, which allows one pending call at a time.
 * A socket with `sendTimeout: 0` (every RPC socket here) never leaves a call pending: the send is
 * tried at once and its promise is settled when `send` returns.
 */
export interface FrameSink {
  send(frames: Buffer[]): Promise<void>;
}

export interface OutboundQueueOptions {
  /** Pairs coalesced into one message at most. */
  maxPairsPerMessage?: number;
  /** Bytes of pair frames coalesced into one message at most (a single larger pair still goes). */
  maxBytesPerMessage?: number;
  /**
   * A batch this many pairs long leaves at once, in the middle of the burst that fills it, instead
   * of with the rest of the burst: the next hop starts on it while this process makes the rest.
   * Only for a sink whose sends never stay pending (`sendTimeout: 0`). Default: off.
   */
  eagerPairs?: number;
  /** Called when the socket refuses a message (peer gone, high-water mark); the message is dropped. */
  onSendError?: (dest: Buffer | null, command: Command, frames: Buffer[], error: unknown) => void;
}

interface Outgoing {
  dest: Buffer | null;
  key: string;
  command: Command;
  /** Frames after the header. */
  frames: Buffer[];
  pairs: number;
  bytes: number;
  /** Only REQUEST and REPLY messages take more pairs. */
  open: boolean;
}

const COALESCING = new Set<Command>([Command.REQUEST, Command.REPLY]);

/**
 * The `eagerPairs` of every RPC socket (client, worker, broker): measured in bench/rpc, batches
 * of about this size keep the client, broker and worker busy at once with 64 calls in flight,
 * where one 64-pair batch moves through them one at a time. Every message costs each hop its
 * thread wake-ups (the main thread, libzmq's I/O thread, zeromq.js releasing the sent buffer), so
 * the largest batch that still overlaps the hops is the cheapest: in bench/rpc the three processes
 * spent 27-29 µs of CPU per call at 16 pairs, 22-24 at 24 and 16.5-17.5 at 32 (interleaved runs
 * of one build), with two batches of 32 still keeping both vCPUs of the bench host busy.
 */
export const RPC_EAGER_PAIRS = 32;

/** The default maxPairsPerMessage: pairs in one message at most. */
export const MAX_PAIRS_PER_MESSAGE = 512;

/**
 * The single writer of one socket. Sends are serialised (zeromq.js allows one pending send), and
 * REQUEST/REPLY pairs bound for the same peer while earlier sends are in progress coalesce into one
 * message, its pairs packed in one batch frame (see packPairs): one syscall and one wake-up for
 * many calls. With `eagerPairs`, a batch that fills up leaves at once, so a long burst reaches the
 * next hop in pieces the hops work on in parallel. Per-destination order is kept: a control
 * message closes the open batch of its destination.
 */
export class OutboundQueue {
  private readonly queue: Outgoing[] = [];
  private readonly openByDest = new Map<string, Outgoing>();
  private readonly maxPairs: number;
  private readonly maxBytes: number;
  private readonly eagerPairs: number;
  private flushing = false;
  private scheduled = false;
  /** Set while held pairs wait for company (see pushPair), to fire at holdUntil (performance.now()). */
  private holdTimer: NodeJS.Timeout | undefined;
  private holdUntil = 0;
  private closed = false;
  private idleWaiters: Array<() => void> = [];
  /** The last destination's key: a burst goes to few peers, each always the same routing id Buffer. */
  private lastDest: Buffer | null = null;
  private lastKey = '';

  constructor(
    private readonly sink: FrameSink,
    private readonly options: OutboundQueueOptions = {},
  ) {
    this.maxPairs = options.maxPairsPerMessage ?? MAX_PAIRS_PER_MESSAGE;
    this.maxBytes = options.maxBytesPerMessage ?? 1 << 20;
    this.eagerPairs = options.eagerPairs ?? Number.POSITIVE_INFINITY;
  }

  /** Messages waiting to be written. */
  get depth(): number {
    return this.queue.length;
  }

  /**
   * Queues a (meta, body) pair. `holdMs` > 0 lets the pair wait up to that long for company (a
   * normal-lane send under load): the message leaves when the hold ends, or at once with the next
   * pair or message queued without a hold, whichever comes first. Order is never changed.
   */
  pushPair(dest: Buffer | null, command: Command, meta: Buffer, body: Buffer, holdMs = 0): void {
    if (this.closed) return;
    const key = this.keyOf(dest);
    const size = meta.length + body.length;
    let out = this.openByDest.get(key);
    if (!out || out.command !== command || out.pairs >= this.maxPairs || out.bytes + size > this.maxBytes) {
      out = { dest, key, command, frames: [], pairs: 0, bytes: 0, open: COALESCING.has(command) };
      this.enqueue(out);
    }
    out.frames.push(meta, body);
    out.pairs += 1;
    out.bytes += size;
    if (out.pairs >= this.eagerPairs) {
      // Full: it leaves now (unless a flush is under way, which takes it next). Whatever is left
      // keeps its own way out: the end of the burst, or a hold still running.
      this.closeBatch(out);
      this.sendClosed();
      if (this.queue.length === 0 && !this.flushing) {
        clearTimeout(this.holdTimer);
        this.holdTimer = undefined;
        this.wakeIdle();
        return;
      }
    }
    if (holdMs > 0) this.hold(holdMs);
    else this.schedule();
  }

  pushMessage(dest: Buffer | null, command: Command, frames: Buffer[] = []): void {
    if (this.closed) return;
    const key = this.keyOf(dest);
    this.enqueue({ dest, key, command, frames, pairs: 0, bytes: 0, open: false });
    this.schedule();
  }

  /** Resolves once everything queued so far has been handed to the socket. */
  whenIdle(): Promise<void> {
    if (this.queue.length === 0 && !this.flushing) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Drops whatever is queued and refuses more. */
  close(): void {
    this.closed = true;
    clearTimeout(this.holdTimer);
    this.holdTimer = undefined;
    this.queue.length = 0;
    this.openByDest.clear();
    this.wakeIdle();
  }

  /**
   * Queues a message after everything its destination already has, which takes no more pairs from
   * now on: `openByDest` only ever holds the last message of a destination, and only if it is an
   * open batch (what sendClosed's ordering relies on).
   */
  private enqueue(out: Outgoing): void {
    const previous = this.openByDest.get(out.key);
    if (previous !== undefined) this.closeBatch(previous);
    this.queue.push(out);
    if (out.open) this.openByDest.set(out.key, out);
  }

  private closeBatch(out: Outgoing): void {
    out.open = false;
    if (this.openByDest.get(out.key) === out) this.openByDest.delete(out.key);
  }

  private keyOf(dest: Buffer | null): string {
    if (dest === null) return '';
    if (dest !== this.lastDest) {
      this.lastKey = dest.toString('latin1');
      this.lastDest = dest;
    }
    return this.lastKey;
  }

  /**
   * Flushes within `holdMs` unless something flushes sooner. A running hold is never extended,
   * and is brought forward for a pair that may wait less.
   */
  private hold(holdMs: number): void {
    if (this.scheduled || this.flushing) return;
    const until = performance.now() + holdMs;
    if (this.holdTimer !== undefined) {
      if (until >= this.holdUntil) return;
      clearTimeout(this.holdTimer);
    }
    this.holdUntil = until;
    this.holdTimer = setTimeout(() => {
      this.holdTimer = undefined;
      this.schedule();
    }, holdMs);
    // The socket keeps the process up while it has work; this timer need not.
    this.holdTimer.unref();
  }

  /**
   * Takes back every message not yet handed to the socket (the one being written stays), for a
   * sender that has learnt its peer is gone and wants to send them elsewhere.
   */
  takeUnsent(): Array<{ command: Command; frames: Buffer[] }> {
    const taken = this.queue.splice(0).map((out) => ({ command: out.command, frames: out.frames }));
    this.openByDest.clear();
    clearTimeout(this.holdTimer);
    this.holdTimer = undefined;
    return taken;
  }

  private schedule(): void {
    if (this.holdTimer !== undefined) {
      clearTimeout(this.holdTimer);
      this.holdTimer = undefined;
    }
    if (this.scheduled || this.flushing) return;
    this.scheduled = true;
    // Flush once the current burst of work (this message's handlers and their promise
    // continuations) is done: a burst leaves as one message, yet each received message's follow-ups
    // leave before the next one is read, so the hops of a call chain work in parallel.
    queueMicrotask(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  /**
   * Sends, in queue order, every message that takes no more pairs, leaving the open batches (each
   * the last of its destination, see enqueue, so per-destination order holds). Nothing is sent while a flush
   * is under way: it takes them itself, in order.
   */
  private sendClosed(): void {
    if (this.flushing || this.closed) return;
    let kept = 0;
    for (const out of this.queue) {
      if (out.open) this.queue[kept++] = out;
      else this.sendNow(out);
    }
    this.queue.length = kept;
  }

  /** A message sendClosed found closed: never in `openByDest`. */
  private sendNow(out: Outgoing): void {
    this.sink.send(this.framesOf(out)).catch((error: unknown) => {
      if (!this.closed) this.options.onSendError?.(out.dest, out.command, out.frames, error);
    });
  }

  private framesOf(out: Outgoing): Buffer[] {
    const body = COALESCING.has(out.command) ? [packPairs(out.frames)] : out.frames;
    return out.dest === null ? [header(out.command), ...body] : [out.dest, header(out.command), ...body];
  }

  private async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      let out: Outgoing | undefined;
      while ((out = this.queue.shift()) !== undefined) {
        if (this.openByDest.get(out.key) === out) this.openByDest.delete(out.key);
        try {
          await this.sink.send(this.framesOf(out));
        } catch (error) {
          if (this.closed) return;
          this.options.onSendError?.(out.dest, out.command, out.frames, error);
        }
      }
    } finally {
      this.flushing = false;
      if (this.queue.length > 0 && !this.closed) this.schedule();
      else this.wakeIdle();
    }
  }

  private wakeIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const wake of waiters) wake();
  }
}
