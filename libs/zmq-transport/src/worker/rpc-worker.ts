import type { BusSecurity } from '@live-im/config';
import { ErrorCode, RpcError } from '@live-im/contracts';
import { BodyCodec, codecById } from '../protocol/codec';
import { Command } from '../protocol/command';
import { assertPairs, decodeRequestMeta, expandPairs, readHeader, RequestMeta } from '../protocol/frames';
import { BrokerLink, describe } from '../socket/broker-link';
import { BrokerStateListener, BrokerStateListeners } from '../socket/broker-state';
import { monotonicMs } from '../socket/clock';
import { TransportLogger } from '../socket/transport-logger';
import { registerRpcMetrics } from '../rpc-metrics';
import { InboundRequest, RequestOwner, sendError } from './inbound-request';

/** The owner's handling of one request: answer through `request` (a ReplyWriter), now or later. */
export type RpcDispatch = (
  pattern: string,
  payload: unknown,
  request: InboundRequest,
) => void | Promise<void>;

export interface RpcWorkerOptions {
  /** Broker backend endpoints; the worker keeps one DEALER per endpoint and serves them all. */
  brokers: readonly string[];
  service: string;
  instance: string;
  version: string;
  /** Requests taken at once from each broker. Default 64. */
  capacity?: number;
  /** PING period; a broker silent for 3 periods is dead. Default 1000. */
  heartbeatMs?: number;
  /** How long closing lets queued replies leave. Default 500. */
  lingerMs?: number;
  logger?: TransportLogger;
  /** CURVE towards the brokers, this process's key pair and trust list; plain when absent. */
  security?: BusSecurity;
  dispatch: RpcDispatch;
}

export interface DrainOptions {
  /** How long to wait for every DRAIN_ACK. Default 3 heartbeats. */
  ackTimeoutMs?: number;
  /** How long the whole drain may take before the worker closes anyway. Default 30 000. */
  timeoutMs?: number;
}

/** What the broker learns from READY (docs/rpc-protocol.md). */
export interface WorkerAnnouncement {
  service: string;
  instance: string;
  version: string;
  capacity: number;
  pid: number;
}

const SERVICE_NAME = /^[a-z][a-zA-Z0-9-]{0,63}$/;
const DEAD_AFTER_HEARTBEATS = 3;

/** The worker's view of one broker. */
class BrokerSession {
  inFlight = 0;
  /** Requests beyond capacity (a broker that over-dispatched), started as credit frees up. */
  readonly backlog: InboundRequest[] = [];
  up = false;
  /** Seen at least once: a broker that was silent and speaks again must hear READY again. */
  seen = false;
  drainAcked = false;
  /** Set while starting backlogged requests, so replies given synchronously do not recurse. */
  pumping = false;

  constructor(readonly link: BrokerLink) {}
}

/**
 * The serving side of LRPC/1, framework-free: announces itself with READY to every broker,
 * heartbeats, takes at most `capacity` requests at once per broker, answers expired requests
 * DEADLINE_EXCEEDED without running anything, and drains for a hot update.
 */
export class RpcWorker implements RequestOwner {
  /** Messages dropped because they broke the protocol. */
  malformed = 0;
  readonly announcement: WorkerAnnouncement;
  private readonly sessions: BrokerSession[];
  private readonly ready: Buffer;
  private readonly capacity: number;
  private readonly heartbeatMs: number;
  private readonly lingerMs: number;
  private readonly logger: TransportLogger;
  private readonly dispatch: RpcDispatch;
  private readonly stateListeners = new BrokerStateListeners();
  private heartbeatTimer: NodeJS.Timeout | undefined;
  /** Monotonic time of the last heartbeat tick, to tell a silent broker from a stalled process. */
  private lastHeartbeatAt = 0;
  private started = false;
  private closed = false;
  private draining = false;
  private drained: Promise<void> | undefined;
  private drainWake: (() => void) | undefined;

  constructor(options: RpcWorkerOptions) {
    if (options.brokers.length === 0) throw new Error('RpcWorker needs at least one broker endpoint');
    if (!SERVICE_NAME.test(options.service)) throw new Error(`invalid service name "${options.service}"`);
    this.capacity = options.capacity ?? 64;
    if (!Number.isInteger(this.capacity) || this.capacity < 1 || this.capacity > 10_000) {
      throw new Error(`capacity must be an integer 1..10000, got ${this.capacity}`);
    }
    this.heartbeatMs = options.heartbeatMs ?? 1000;
    this.lingerMs = options.lingerMs ?? 500;
    this.logger = options.logger ?? console;
    this.dispatch = options.dispatch;
    this.announcement = {
      service: options.service,
      instance: options.instance,
      version: options.version,
      capacity: this.capacity,
      pid: process.pid,
    };
    this.ready = Buffer.from(JSON.stringify(this.announcement));
    registerRpcMetrics();
    const handlers = {
      onMessage: (link: BrokerLink, frames: Buffer[]) => this.onMessage(this.session(link), frames),
      onConnected: (link: BrokerLink) => this.announce(this.session(link)),
      onDisconnected: (link: BrokerLink) => this.markDown(this.session(link), 'connection lost'),
      onUnsent: (link: BrokerLink, command: Command) => this.onUnsent(link, command),
    };
    const linkOptions = {
      lingerMs: this.lingerMs,
      logger: this.logger,
      security: options.security,
      // One batch's replies leave before the next batch's handlers start (see readLoop).
      settleBetweenMessages: true,
    };
    this.sessions = options.brokers.map(
      (endpoint, index) => new BrokerSession(new BrokerLink(index, endpoint, handlers, linkOptions)),
    );
  }

  /** Connects to every broker (READY follows each handshake) and starts heartbeats; idempotent. */
  start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    for (const session of this.sessions) session.link.start();
    this.lastHeartbeatAt = monotonicMs();
    this.heartbeatTimer = setInterval(() => this.heartbeat(), this.heartbeatMs);
  }

  /** Requests started or waiting for credit, over all brokers. */
  get inFlight(): number {
    let n = 0;
    for (const session of this.sessions) n += session.inFlight + session.backlog.length;
    return n;
  }

  get liveBrokers(): number {
    return this.sessions.filter((session) => session.up).length;
  }

  get isDraining(): boolean {
    return this.draining;
  }

  onBrokerState(listener: BrokerStateListener): () => void {
    return this.stateListeners.add(listener);
  }

  /** PINGs every broker and counts those that answer within timeoutMs (a health probe). */
  async ping(timeoutMs: number): Promise<{ live: number; total: number }> {
    const total = this.sessions.length;
    if (!this.started || this.closed) return { live: 0, total };
    const signs = this.sessions.map((session) => session.link.nextSign(timeoutMs));
    for (const session of this.sessions) session.link.send(Command.PING);
    const seen = await Promise.all(signs);
    return { live: seen.filter(Boolean).length, total };
  }

  /**
   * Hot update: DRAIN to every broker, wait for their DRAIN_ACKs (requests dispatched before an
   * ack still arrive and are served), wait until nothing is in flight, DISCONNECT, close.
   */
  drain(options: DrainOptions = {}): Promise<void> {
    this.drained ??= this.runDrain(options);
    return this.drained;
  }

  /** Closes at once; in-flight requests lose their replies (the broker treats them as a dead worker's). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeatTimer);
    this.wakeDrain();
    if (!this.started) {
      await Promise.all(this.sessions.map((session) => session.link.close()));
      return;
    }
    for (const session of this.sessions) session.link.send(Command.DISCONNECT);
    await Promise.all(this.sessions.map((session) => session.link.close(this.lingerMs)));
  }

  replied(request: InboundRequest): void {
    const session = this.sessions[request.link.index];
    session.inFlight -= 1;
    if (session.backlog.length > 0) this.pump(session);
    if (this.draining) this.wakeDrain();
  }

  unexpected(request: InboundRequest, error: unknown): void {
    const stack = error instanceof Error && error.stack ? `\n${error.stack}` : '';
    this.logger.error(`rpc: ${request.pattern} [${request.traceId}] failed: ${describe(error)}${stack}`);
  }

  private session(link: BrokerLink): BrokerSession {
    return this.sessions[link.index];
  }

  private onMessage(session: BrokerSession, frames: Buffer[]): void {
    if (!session.up) this.markUp(session);
    let command: Command;
    try {
      command = readHeader(frames[0]);
    } catch {
      this.malformed += 1;
      return;
    }
    if (command === Command.REQUEST) {
      this.onRequest(session, frames);
      return;
    }
    if (frames.length !== 1) {
      this.malformed += 1;
      return;
    }
    switch (command) {
      case Command.PONG:
        return;
      case Command.UNKNOWN_PEER:
        // A draining worker stays unknown: a broker that does not know it dispatches nothing to it.
        if (this.draining) this.ackDrain(session);
        else this.announce(session);
        return;
      case Command.DRAIN_ACK:
        this.ackDrain(session);
        return;
      default:
        this.malformed += 1;
    }
  }

  private onRequest(session: BrokerSession, message: Buffer[]): void {
    const now = monotonicMs();
    const metas: RequestMeta[] = [];
    let frames: Buffer[];
    try {
      // Validate every pair first: a message with one bad pair is dropped whole.
      frames = expandPairs(message, 0);
      assertPairs(frames, 1);
      for (let i = 1; i < frames.length; i += 2) metas.push(decodeRequestMeta(frames[i]));
    } catch {
      this.malformed += 1;
      return;
    }
    for (let k = 0; k < metas.length; k += 1) {
      const meta = metas[k];
      if (meta.timeoutMs === 0) {
        sendError(
          session.link,
          meta.id,
          new RpcError(ErrorCode.DEADLINE_EXCEEDED, 'deadline passed before dispatch'),
        );
        continue;
      }
      let codec: BodyCodec;
      try {
        codec = codecById(meta.codec);
      } catch {
        sendError(
          session.link,
          meta.id,
          new RpcError(ErrorCode.INVALID_ARGUMENT, `unknown codec ${meta.codec}`),
        );
        continue;
      }
      const request = new InboundRequest(
        this,
        session.link,
        meta.id,
        meta.pattern,
        meta.traceId,
        now + meta.timeoutMs,
        meta.flags,
        codec,
        frames[2 * k + 2],
      );
      session.backlog.push(request);
    }
    this.pump(session);
  }

  private begin(session: BrokerSession, request: InboundRequest): void {
    session.inFlight += 1;
    request.startedAt = monotonicMs();
    if (request.startedAt >= request.deadline) {
      request.fail(new RpcError(ErrorCode.DEADLINE_EXCEEDED, 'deadline passed before the handler started'));
      return;
    }
    let payload: unknown;
    try {
      payload = request.codec.decode(request.takeBody());
    } catch {
      request.fail(new RpcError(ErrorCode.INVALID_ARGUMENT, 'request body cannot be decoded'));
      return;
    }
    try {
      const pending = this.dispatch(request.pattern, payload, request);
      if (pending instanceof Promise) pending.catch((error: unknown) => request.fail(error));
    } catch (error) {
      request.fail(error);
    }
  }

  /** Starts backlogged requests while credit allows; re-entrant replies only adjust counters. */
  private pump(session: BrokerSession): void {
    if (session.pumping) return;
    session.pumping = true;
    try {
      while (session.inFlight < this.capacity) {
        const next = session.backlog.shift();
        if (next === undefined) break;
        this.begin(session, next);
      }
    } finally {
      session.pumping = false;
    }
  }

  private announce(session: BrokerSession): void {
    if (this.draining || this.closed) return;
    session.link.send(Command.READY, [this.ready]);
  }

  private heartbeat(): void {
    const now = monotonicMs();
    // A tick this late means this process was blocked: the brokers' messages may be sitting unread
    // (timers run before socket reads), so their silence says nothing until the next tick.
    const stalled = now - this.lastHeartbeatAt > 2 * this.heartbeatMs;
    this.lastHeartbeatAt = now;
    const deadAfter = DEAD_AFTER_HEARTBEATS * this.heartbeatMs;
    for (const session of this.sessions) {
      // Draining workers keep pinging: the broker must not take them for dead while they finish.
      session.link.send(Command.PING);
      if (!stalled && session.up && session.link.silentForMs(now) > deadAfter) {
        this.markDown(session, 'silent for 3 heartbeats');
      }
    }
  }

  private markUp(session: BrokerSession): void {
    session.up = true;
    // A broker silent long enough to be dead may have restarted and forgotten this worker.
    if (session.seen) this.announce(session);
    session.seen = true;
    this.logger.log(`rpc: broker ${session.link.endpoint} is live`);
    this.stateListeners.emit({ endpoint: session.link.endpoint, index: session.link.index, up: true });
  }

  private markDown(session: BrokerSession, reason: string): void {
    if (!session.up || this.closed) return;
    session.up = false;
    this.logger.warn(`rpc: broker ${session.link.endpoint} is dead (${reason})`);
    this.stateListeners.emit({ endpoint: session.link.endpoint, index: session.link.index, up: false });
    if (this.draining) this.wakeDrain();
  }

  private onUnsent(link: BrokerLink, command: Command): void {
    if (this.closed) return;
    // READY and PING are sent again (handshake, heartbeat); lost replies are the broker's to settle.
    if (command === Command.REPLY) this.logger.warn(`rpc: replies to ${link.endpoint} could not be sent`);
  }

  private ackDrain(session: BrokerSession): void {
    session.drainAcked = true;
    if (this.draining) this.wakeDrain();
  }

  private async runDrain(options: DrainOptions): Promise<void> {
    this.draining = true;
    if (!this.started || this.closed) {
      await this.close();
      return;
    }
    const startedAt = monotonicMs();
    const timeoutMs = options.timeoutMs ?? 30_000;
    const ackTimeoutMs = Math.min(
      options.ackTimeoutMs ?? DEAD_AFTER_HEARTBEATS * this.heartbeatMs,
      timeoutMs,
    );
    for (const session of this.sessions) {
      session.drainAcked = false;
      session.link.send(Command.DRAIN);
    }
    // A broker that is down dispatches nothing to this worker: no ack to wait for.
    const acked = await this.waitUntil(() => this.sessions.every((s) => s.drainAcked || !s.up), ackTimeoutMs);
    if (!acked) {
      const missing = this.sessions.filter((s) => !s.drainAcked && s.up).map((s) => s.link.endpoint);
      this.logger.warn(`rpc: no DRAIN_ACK from ${missing.join(', ')}; draining anyway`);
    }
    const left = timeoutMs - (monotonicMs() - startedAt);
    if (!(await this.waitUntil(() => this.inFlight === 0, left))) {
      this.logger.warn(`rpc: drain timed out with ${this.inFlight} requests in flight`);
    }
    await this.close();
  }

  private async waitUntil(condition: () => boolean, timeoutMs: number): Promise<boolean> {
    const until = monotonicMs() + timeoutMs;
    while (!condition()) {
      const left = until - monotonicMs();
      if (left <= 0 || this.closed) return false;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.drainWake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    return true;
  }

  private wakeDrain(): void {
    const wake = this.drainWake;
    this.drainWake = undefined;
    wake?.();
  }
}
