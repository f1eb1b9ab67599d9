import type { BusSecurity } from '@live-im/config';
import { DEFAULT_RPC_TIMEOUT_MS, ErrorCode, RpcError } from '@live-im/contracts';
import { newRequestId, RequestContext } from '@live-im/logging';
import { BodyCodec, codecById, JsonCodec } from '../protocol/codec';
import { Command, ReplyStatus, RequestFlag } from '../protocol/command';
import {
  assertPairs,
  decodeReplyMeta,
  encodeRequestMeta,
  expandPairs,
  readHeader,
  ReplyMeta,
  utf8Length,
} from '../protocol/frames';
import { BrokerLink, describe } from '../socket/broker-link';
import { BrokerStateListener, BrokerStateListeners } from '../socket/broker-state';
import { monotonicMs } from '../socket/clock';
import { MAX_PAIRS_PER_MESSAGE, RPC_EAGER_PAIRS } from '../socket/outbound-queue';
import { TransportLogger } from '../socket/transport-logger';
import { BrokerStats } from '../protocol/stats-reply';
import { trackRpcClient, untrackRpcClient } from '../rpc-metrics';
import { CallKind, PendingCall, StreamObserver } from './pending-call';
import { PendingCalls } from './pending-calls';

export interface RpcClientOptions {
  /** Broker frontend endpoints; the client keeps one DEALER per endpoint. */
  brokers: readonly string[];
  /** PING period; a broker silent for 3 periods is dead. Default 1000. */
  heartbeatMs?: number;
  /** Deadline of a call whose options name none. Default DEFAULT_RPC_TIMEOUT_MS. */
  defaultTimeoutMs?: number;
  /** Period of the one deadline sweep: the precision of DEADLINE_EXCEEDED. Default 20. */
  sweepMs?: number;
  /** How long close() lets queued messages leave. Default 200. */
  lingerMs?: number;
  /** Body codec of calls that name none. Default JSON. */
  codec?: BodyCodec;
  logger?: TransportLogger;
  /**
   * A request batch this many pairs long leaves at once, mid-burst (default RPC_EAGER_PAIRS).
   * Brokers and workers answer each message as it comes, so the caller's batch size sets how many
   * messages its calls in flight travel in: fewer pairs, more of them overlapping on every hop,
   * each costing every hop a message.
   */
  eagerPairs?: number;
  /** CURVE towards the brokers, this process's key pair and trust list; plain when absent. */
  security?: BusSecurity;
}

export interface CallOptions {
  /** Milliseconds until the deadline. */
  timeoutMs?: number;
  /** May be re-sent when its broker dies; otherwise the call fails with WORKER_LOST. */
  idempotent?: boolean;
  codec?: BodyCodec;
  /** Request id for the logs of every hop; default: the current request's, else a new one. */
  traceId?: string;
  /**
   * Milliseconds the request may wait to leave in one message with other calls (default 0: it
   * leaves after the current turn). Worth it for frequent calls whose latency matters less than
   * the cost of a message per call at every hop (chat sends under load); a call without it takes
   * the waiting ones along at once.
   */
  coalesceMs?: number;
}

export interface BrokerPing {
  live: number;
  total: number;
}

const DEAD_AFTER_HEARTBEATS = 3;
const EMPTY = Buffer.alloc(0);
const NO_CANCEL = (): void => undefined;

/**
 * The caller side of LRPC/1 (docs/rpc-protocol.md), framework-free. Many calls share each
 * broker's DEALER, correlated by u32 id; calls go round-robin to live brokers, wait (until their
 * deadline) while none is live, and move to another broker when theirs dies if idempotent.
 * Timers are two per client (heartbeat, deadline sweep), never one per call.
 */
export class RpcClient {
  /** Messages dropped because they broke the protocol. */
  malformed = 0;
  private readonly links: BrokerLink[];
  private readonly live: boolean[];
  /** Brokers that announced CLOSING: no new calls; their calls in flight are still answered. */
  private readonly closing: boolean[];
  private readonly pending = new PendingCalls();
  /** Calls with no broker yet (none live, or their send was refused); flushed on every change. */
  private waiting: PendingCall[] = [];
  private readonly stateListeners = new BrokerStateListeners();
  private readonly heartbeatMs: number;
  private readonly defaultTimeoutMs: number;
  private readonly sweepMs: number;
  private readonly lingerMs: number;
  private readonly codec: BodyCodec;
  private readonly logger: TransportLogger;
  private nextBroker = 0;
  /** Monotonic time of the last heartbeat tick, to tell a silent broker from a stalled process. */
  private lastHeartbeatAt = 0;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private started = false;
  private closed = false;

  constructor(options: RpcClientOptions) {
    if (options.brokers.length === 0) throw new Error('RpcClient needs at least one broker endpoint');
    this.heartbeatMs = options.heartbeatMs ?? 1000;
    this.defaultTimeoutMs = options.defaultTimeoutMs ?? DEFAULT_RPC_TIMEOUT_MS;
    this.sweepMs = options.sweepMs ?? 20;
    this.lingerMs = options.lingerMs ?? 200;
    this.codec = options.codec ?? JsonCodec;
    this.logger = options.logger ?? console;
    const handlers = {
      onMessage: (link: BrokerLink, frames: Buffer[]) => this.onMessage(link, frames),
      // A PING at once makes a fresh broker live without waiting a heartbeat period.
      onConnected: (link: BrokerLink) => link.send(Command.PING),
      // Also ends a CLOSING broker's turn: the next one on this endpoint is live on its first PONG.
      onDisconnected: (link: BrokerLink) => this.markDead(link, 'connection lost'),
      onUnsent: (link: BrokerLink, command: Command, frames: Buffer[]) =>
        this.onUnsent(link, command, frames),
    };
    const eagerPairs = options.eagerPairs ?? RPC_EAGER_PAIRS;
    if (!Number.isInteger(eagerPairs) || eagerPairs < 1 || eagerPairs > MAX_PAIRS_PER_MESSAGE) {
      throw new Error(`eagerPairs must be an integer 1..${MAX_PAIRS_PER_MESSAGE}, got ${eagerPairs}`);
    }
    const linkOptions = {
      lingerMs: this.lingerMs,
      logger: this.logger,
      eagerPairs,
      security: options.security,
    };
    this.links = options.brokers.map(
      (endpoint, index) => new BrokerLink(index, endpoint, handlers, linkOptions),
    );
    this.live = this.links.map(() => false);
    this.closing = this.links.map(() => false);
    trackRpcClient(this);
  }

  /** Connects every DEALER and starts the timers; idempotent, and done by the first call anyway. */
  start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    for (const link of this.links) link.start();
    this.lastHeartbeatAt = monotonicMs();
    this.heartbeatTimer = setInterval(() => this.heartbeat(), this.heartbeatMs);
    this.sweepTimer = setInterval(() => this.sweep(), this.sweepMs);
    // The sockets keep the process up while calls are pending; the timers need not.
    this.heartbeatTimer.unref();
    this.sweepTimer.unref();
  }

  /** How many brokers answered within the liveness window. */
  get liveBrokers(): number {
    let n = 0;
    for (const up of this.live) if (up) n += 1;
    return n;
  }

  get endpoints(): readonly string[] {
    return this.links.map((link) => link.endpoint);
  }

  /** Calls waiting for an outcome. */
  get inFlight(): number {
    return this.pending.size;
  }

  /** Resolves with the final value, or the last streamed one; rejects with an RpcError. */
  call(pattern: string, payload: unknown, options: CallOptions = {}): Promise<unknown> {
    let call: PendingCall;
    try {
      call = this.prepare(CallKind.CALL, pattern, payload, options);
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise((resolve, reject) => {
      call.resolve = resolve;
      call.reject = reject;
      this.submit(call);
    });
  }

  /** Sends with the EVENT flag: resolves once the event is handed to a live broker. */
  emit(pattern: string, payload: unknown, options: CallOptions = {}): Promise<void> {
    let call: PendingCall;
    try {
      call = this.prepare(CallKind.EVENT, pattern, payload, options);
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise((resolve, reject) => {
      call.resolve = () => resolve();
      call.reject = reject;
      this.submit(call);
    });
  }

  /**
   * A call whose worker may answer with NEXT values: each reaches `observer.next`, and the
   * stream ends with complete (END, or a final OK value) or error. Returns the cancel function:
   * later replies are then ignored.
   */
  stream(pattern: string, payload: unknown, options: CallOptions, observer: StreamObserver): () => void {
    let call: PendingCall;
    try {
      call = this.prepare(CallKind.STREAM, pattern, payload, options);
    } catch (error) {
      observer.error(RpcError.from(error));
      return NO_CANCEL;
    }
    call.observer = observer;
    this.submit(call);
    return () => {
      if (this.pending.holds(call)) this.pending.delete(call);
    };
  }

  /** A broker's statistics (any live broker when no index is given). */
  stats(brokerIndex?: number, timeoutMs = this.defaultTimeoutMs): Promise<BrokerStats> {
    if (brokerIndex !== undefined && !(brokerIndex >= 0 && brokerIndex < this.links.length)) {
      return Promise.reject(new RpcError(ErrorCode.INVALID_ARGUMENT, `no broker #${brokerIndex}`));
    }
    const call = new PendingCall(
      this.pending.allocateId(),
      CallKind.STATS,
      '',
      0,
      JsonCodec,
      '',
      EMPTY,
      monotonicMs() + timeoutMs,
      brokerIndex ?? -1,
    );
    return new Promise((resolve, reject) => {
      call.resolve = resolve as (value: unknown) => void;
      call.reject = reject;
      this.submit(call);
    });
  }

  /** PINGs every broker and counts those that answer within timeoutMs (a health probe). */
  async ping(timeoutMs: number): Promise<BrokerPing> {
    this.start();
    if (this.closed) return { live: 0, total: this.links.length };
    const signs = this.links.map((link) => link.nextSign(timeoutMs));
    for (const link of this.links) link.send(Command.PING);
    const seen = await Promise.all(signs);
    return { live: seen.filter(Boolean).length, total: this.links.length };
  }

  /** Observes brokers becoming live or dead; returns the unsubscribe function. */
  onBrokerState(listener: BrokerStateListener): () => void {
    return this.stateListeners.add(listener);
  }

  /** Fails pending calls (SERVICE_UNAVAILABLE), lets queued messages leave, closes the sockets. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    untrackRpcClient(this);
    clearInterval(this.heartbeatTimer);
    clearInterval(this.sweepTimer);
    for (const call of this.pending.takeAll()) call.fail(clientClosed());
    this.waiting = [];
    await Promise.all(this.links.map((link) => link.close(this.started ? this.lingerMs : 0)));
  }

  private prepare(kind: CallKind, pattern: string, payload: unknown, options: CallOptions): PendingCall {
    if (this.closed) throw clientClosed();
    const patternBytes = utf8Length(pattern);
    if (patternBytes === 0 || patternBytes > 255) {
      throw new RpcError(ErrorCode.INVALID_ARGUMENT, 'pattern must be 1..255 bytes');
    }
    const traceId = options.traceId ?? RequestContext.currentId() ?? newRequestId();
    if (utf8Length(traceId) > 255) throw new RpcError(ErrorCode.INVALID_ARGUMENT, 'trace id over 255 bytes');
    const codec = options.codec ?? this.codec;
    let body: Buffer;
    try {
      body = codec.encode(payload);
    } catch (error) {
      throw new RpcError(ErrorCode.INVALID_ARGUMENT, `payload cannot be encoded: ${describe(error)}`);
    }
    let flags = options.idempotent ? RequestFlag.IDEMPOTENT : 0;
    if (kind === CallKind.EVENT) flags |= RequestFlag.EVENT;
    const timeoutMs = options.timeoutMs ?? this.defaultTimeoutMs;
    const id = this.pending.allocateId();
    const now = monotonicMs();
    const call = new PendingCall(id, kind, pattern, flags, codec, traceId, body, now + timeoutMs, -1);
    call.startedAt = now;
    const coalesceMs = options.coalesceMs ?? 0;
    // At most a tenth of the deadline: the broker is told the time left before the hold.
    if (coalesceMs > 0 && Number.isFinite(coalesceMs)) call.coalesceMs = Math.min(coalesceMs, timeoutMs / 10);
    return call;
  }

  private submit(call: PendingCall): void {
    if (this.closed) {
      call.fail(clientClosed());
      return;
    }
    this.start();
    this.pending.add(call);
    // A call is submitted in the turn it was prepared in: its start time is the time now.
    this.route(call, call.startedAt > 0 ? call.startedAt : monotonicMs());
  }

  /** Hands the call to a live broker, or parks it until one is live. */
  private route(call: PendingCall, now = monotonicMs()): void {
    const link = this.pickLink(call.target);
    if (link === undefined) {
      call.broker = -1;
      this.waiting.push(call);
      return;
    }
    const remaining = Math.ceil(call.deadline - now);
    if (remaining <= 0) {
      this.pending.delete(call);
      call.fail(deadlineExceeded());
      return;
    }
    call.broker = link.index;
    if (call.kind === CallKind.STATS) {
      link.send(Command.STATS, [u32(call.id)]);
      return;
    }
    const meta = encodeRequestMeta({
      id: call.id,
      timeoutMs: remaining,
      flags: call.flags,
      codec: call.codec.id,
      pattern: call.pattern,
      traceId: call.traceId,
    });
    link.sendPair(Command.REQUEST, meta, call.body, call.coalesceMs);
    // Only the first send waits for company: one re-sent after a broker loss is late already.
    call.coalesceMs = 0;
    if (call.kind === CallKind.EVENT) {
      this.pending.delete(call);
      call.resolve(undefined);
    }
  }

  private pickLink(target: number): BrokerLink | undefined {
    if (target >= 0) return this.live[target] ? this.links[target] : undefined;
    const n = this.links.length;
    for (let i = 0; i < n; i += 1) {
      const index = (this.nextBroker + i) % n;
      if (this.live[index]) {
        this.nextBroker = index + 1;
        return this.links[index];
      }
    }
    return undefined;
  }

  private onMessage(link: BrokerLink, frames: Buffer[]): void {
    let command: Command | undefined;
    try {
      command = readHeader(frames[0]);
    } catch {
      command = undefined;
    }
    if (command === Command.CLOSING && frames.length === 1) {
      this.markClosing(link);
      return;
    }
    // Any other message is a sign of life, even one we cannot read, unless the broker is going away.
    if (!this.live[link.index] && !this.closing[link.index]) this.markLive(link);
    if (command === Command.REPLY) this.onReply(frames);
    else if (command === Command.STATS_REPLY) this.onStatsReply(frames);
    else if (command !== Command.PONG || frames.length !== 1) this.malformed += 1;
  }

  /**
   * A broker shutting down gracefully (docs/rpc-protocol.md "Broker shutdown"): new calls go to
   * the other brokers from now on, while the calls it already holds stay with it until answered.
   */
  private markClosing(link: BrokerLink): void {
    if (this.closing[link.index] || this.closed) return;
    this.closing[link.index] = true;
    const wasLive = this.live[link.index];
    this.live[link.index] = false;
    this.logger.log(`rpc: broker ${link.endpoint} is closing; new calls go elsewhere`);
    if (wasLive) this.stateListeners.emit({ endpoint: link.endpoint, index: link.index, up: false });
  }

  private onReply(message: Buffer[]): void {
    const metas: ReplyMeta[] = [];
    let frames: Buffer[];
    try {
      // Validate every pair first: a message with one bad pair is dropped whole.
      frames = expandPairs(message, 0);
      assertPairs(frames, 1);
      for (let i = 1; i < frames.length; i += 2) metas.push(decodeReplyMeta(frames[i]));
    } catch {
      this.malformed += 1;
      return;
    }
    for (let k = 0; k < metas.length; k += 1) this.settle(metas[k], frames[2 * k + 2]);
  }

  private settle(meta: ReplyMeta, body: Buffer): void {
    const call = this.pending.get(meta.id);
    // Unknown: answered after its deadline, or a cancelled stream. STATS ids never get REPLYs.
    if (call === undefined || call.kind === CallKind.STATS) return;
    if (meta.status === ReplyStatus.ERROR) {
      this.pending.delete(call);
      call.fail(errorFromBody(body));
      return;
    }
    if (meta.status === ReplyStatus.END) {
      this.pending.delete(call);
      call.end();
      return;
    }
    let value: unknown;
    try {
      value = codecById(meta.codec).decode(body);
    } catch (error) {
      this.pending.delete(call);
      call.fail(new RpcError(ErrorCode.INTERNAL, `undecodable reply: ${describe(error)}`));
      return;
    }
    const final = meta.status === ReplyStatus.OK;
    if (final) this.pending.delete(call);
    call.value(value, final);
  }

  private onStatsReply(frames: Buffer[]): void {
    const idFrame = frames[1];
    const body = frames[2];
    if (frames.length !== 3 || idFrame === undefined || idFrame.length !== 4 || body === undefined) {
      this.malformed += 1;
      return;
    }
    const call = this.pending.get(idFrame.readUInt32LE(0));
    if (call === undefined || call.kind !== CallKind.STATS) return;
    this.pending.delete(call);
    try {
      call.resolve(JSON.parse(body.toString('utf8')));
    } catch {
      call.fail(new RpcError(ErrorCode.INTERNAL, 'malformed broker statistics'));
    }
  }

  /** The socket refused a message, so it never left: its calls may go anywhere, even non-idempotent. */
  private onUnsent(link: BrokerLink, command: Command, frames: Buffer[]): void {
    if (this.closed) return;
    if (command === Command.REQUEST) {
      for (let i = 0; i < frames.length; i += 2) this.park(link, frames[i].readUInt32LE(0));
    } else if (command === Command.STATS) {
      this.park(link, frames[0].readUInt32LE(0));
    }
  }

  /** Back to the waiting list; the next sweep re-routes it, so a refusing socket is not spun on. */
  private park(link: BrokerLink, id: number): void {
    const call = this.pending.get(id);
    if (call === undefined || call.broker !== link.index) return;
    call.broker = -1;
    this.waiting.push(call);
  }

  private heartbeat(): void {
    const now = monotonicMs();
    // A tick this late means this process was blocked: the brokers' answers may be sitting unread
    // (timers run before socket reads), so their silence says nothing until the next tick.
    const stalled = now - this.lastHeartbeatAt > 2 * this.heartbeatMs;
    this.lastHeartbeatAt = now;
    const deadAfter = DEAD_AFTER_HEARTBEATS * this.heartbeatMs;
    for (const link of this.links) {
      link.send(Command.PING);
      const watched = this.live[link.index] || this.closing[link.index];
      if (!stalled && watched && link.silentForMs(now) > deadAfter) {
        this.markDead(link, 'silent for 3 heartbeats');
      }
    }
  }

  private sweep(): void {
    for (const call of this.pending.takeExpired(monotonicMs())) call.fail(deadlineExceeded());
    if (this.waiting.length > 0) this.flushWaiting();
  }

  private markLive(link: BrokerLink): void {
    this.live[link.index] = true;
    this.logger.log(`rpc: broker ${link.endpoint} is live`);
    this.stateListeners.emit({ endpoint: link.endpoint, index: link.index, up: true });
    this.flushWaiting();
  }

  /**
   * Live or closing, the broker is gone: its idempotent calls move to another broker; the others'
   * outcome is unknown: WORKER_LOST.
   */
  private markDead(link: BrokerLink, reason: string): void {
    const wasLive = this.live[link.index];
    if ((!wasLive && !this.closing[link.index]) || this.closed) return;
    this.live[link.index] = false;
    this.closing[link.index] = false;
    this.logger.warn(`rpc: broker ${link.endpoint} is dead (${reason})`);
    if (wasLive) this.stateListeners.emit({ endpoint: link.endpoint, index: link.index, up: false });
    // Requests still in the link's queue (held for company, or behind a slow write) never left:
    // any of them, idempotent or not, can go to another broker.
    for (const { command, frames } of link.takeUnsent()) this.onUnsent(link, command, frames);
    for (const call of this.pending.carriedBy(link.index)) {
      call.broker = -1;
      const resendable =
        call.kind !== CallKind.STATS && (call.flags & RequestFlag.IDEMPOTENT) !== 0 && !call.delivered;
      if (resendable) {
        this.waiting.push(call);
      } else {
        this.pending.delete(call);
        call.fail(
          new RpcError(ErrorCode.WORKER_LOST, `broker ${link.endpoint} died; the outcome is unknown`),
        );
      }
    }
    this.flushWaiting();
  }

  private flushWaiting(): void {
    const parked = this.waiting;
    this.waiting = [];
    for (const call of parked) if (call.broker === -1 && this.pending.holds(call)) this.route(call);
  }
}

function u32(value: number): Buffer {
  const buf = Buffer.allocUnsafe(4);
  buf.writeUInt32LE(value >>> 0, 0);
  return buf;
}

function clientClosed(): RpcError {
  return new RpcError(ErrorCode.SERVICE_UNAVAILABLE, 'rpc client closed');
}

function deadlineExceeded(): RpcError {
  return new RpcError(ErrorCode.DEADLINE_EXCEEDED, 'deadline exceeded');
}

/** ERROR bodies are always JSON, whatever the call's codec. */
function errorFromBody(body: Buffer): RpcError {
  try {
    return RpcError.fromBody(JSON.parse(body.toString('utf8')));
  } catch {
    return new RpcError(ErrorCode.INTERNAL, 'malformed error reply');
  }
}
