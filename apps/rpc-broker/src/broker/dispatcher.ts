import { ErrorCode } from '@live-im/contracts';
import {
  busAuthCounts,
  CodecId,
  Command,
  encodeReplyMeta,
  isFinalStatus,
  ReplyStatus,
  RequestFlag,
  rewriteReplyId,
  rewriteRequestMeta,
  serviceOfRequestMeta,
  SILENT_STRUCTURED_LOGGER,
  type OutboundQueue,
  type ReplyMeta,
} from '@live-im/zmq-transport';
import {
  LIVENESS_INTERVALS,
  type BrokerHooks,
  type BrokerLogger,
  type DispatchLimits,
} from './broker-options';
import { BrokerCounters, statsCounters, type BrokerStats, type ServiceStats } from './broker-stats';
import { ClientRegistry, type ClientPeer } from './client-registry';
import { ErrorReplies, type BrokerErrorCode } from './error-replies';
import { PendingRequest } from './pending-request';
import { RequestOutcomeLog, requestFields } from './request-outcome-log';
import type { QueueBudget, ServiceQueue } from './service-queue';
import { SERVICE_NAME, type WorkerAnnouncement } from './worker-announcement';
import type { WorkerPeer } from './worker-peer';
import { WorkerRegistry } from './worker-registry';

/** Where the dispatcher's messages go: the send queue of the frontend or backend socket. */
export type PeerOutbox = Pick<OutboundQueue, 'pushPair' | 'pushMessage'>;

/** The fields of a request meta the broker reads (see peekRequestMeta). */
export interface RequestHead {
  id: number;
  timeoutMs: number;
  flags: number;
  patternLen: number;
}

const U32_SPACE = 0x1_0000_0000;

/**
 * The request lifecycle, free of sockets and timers: accept a client's request, queue it or hand
 * it to the worker with the most free credit, map the worker's replies back, and deal with
 * deadlines, missing services and dead peers. Every method takes the current time, so tests drive
 * the clock. Work per request is O(1) plus a scan of the service's few workers.
 */
export class Dispatcher {
  readonly counters = new BrokerCounters();
  readonly clients = new ClientRegistry();
  private readonly budget: QueueBudget = { bytes: 0 };
  readonly workers = new WorkerRegistry(this.budget);
  /** Requests held by workers, by the broker-wide id they were dispatched with. */
  private readonly inFlight = new Map<number, PendingRequest>();
  private readonly errors: ErrorReplies;
  private readonly outcomes: RequestOutcomeLog;
  private lastRequestId = 0;
  private dispatchSeq = 0;

  constructor(
    private readonly limits: DispatchLimits,
    private readonly frontend: PeerOutbox,
    private readonly backend: PeerOutbox,
    private readonly hooks: BrokerHooks = {},
    private readonly log: BrokerLogger = SILENT_STRUCTURED_LOGGER,
  ) {
    this.errors = new ErrorReplies(limits);
    this.outcomes = new RequestOutcomeLog(log);
  }

  /** Bytes of request bodies waiting in queues. */
  get queuedBytes(): number {
    return this.budget.bytes;
  }

  get inFlightCount(): number {
    return this.inFlight.size;
  }

  /** Requests waiting in service queues, all services together. */
  get queuedCount(): number {
    let queued = 0;
    for (const service of this.workers.services()) queued += service.queued;
    return queued;
  }

  // ---- requests and replies -------------------------------------------------------------------

  /** One (meta, body) pair of a client's REQUEST whose meta is known to be well-formed. */
  /** A request whose pattern the caller's key may not call: answered FORBIDDEN, never dispatched. */
  refuseRequest(client: ClientPeer, head: RequestHead, meta: Buffer, now: number): void {
    this.counters.requests += 1;
    this.outcomes.write('warn', meta, {}, 'request refused: FORBIDDEN for this caller key', now);
    this.answerError(client, head.id, head.flags, ErrorCode.FORBIDDEN);
  }

  acceptRequest(client: ClientPeer, head: RequestHead, meta: Buffer, body: Buffer, now: number): void {
    this.counters.requests += 1;
    if (body.length > this.limits.maxBodyBytes) {
      this.counters.tooLarge += 1;
      this.outcomes.write('info', meta, { bytes: body.length }, 'request refused: PAYLOAD_TOO_LARGE', now);
      this.answerError(client, head.id, head.flags, ErrorCode.PAYLOAD_TOO_LARGE);
      return;
    }
    if (head.timeoutMs === 0) {
      this.counters.expired += 1;
      this.outcomes.write('info', meta, {}, 'request arrived expired: DEADLINE_EXCEEDED', now);
      this.answerError(client, head.id, head.flags, ErrorCode.DEADLINE_EXCEEDED);
      return;
    }
    const name = serviceOfRequestMeta(meta, head.patternLen);
    let service = this.workers.service(name);
    if (!service) {
      // No worker can ever announce a name outside the READY grammar: fail now, not after the grace.
      if (!SERVICE_NAME.test(name)) {
        this.counters.serviceUnavailable += 1;
        this.outcomes.write('info', meta, {}, 'request for no valid service: SERVICE_UNAVAILABLE', now);
        this.answerError(client, head.id, head.flags, ErrorCode.SERVICE_UNAVAILABLE);
        return;
      }
      service = this.workers.obtainService(name);
    }

    const worker = service.queued === 0 ? service.pickWorker() : null;
    if (
      !worker &&
      (service.queued >= this.limits.maxQueue || this.budget.bytes + body.length > this.limits.maxQueuedBytes)
    ) {
      this.counters.overloaded += 1;
      this.outcomes.write(
        'warn',
        meta,
        { service: name, queued: service.queued },
        'request refused: OVERLOADED',
        now,
      );
      this.answerError(client, head.id, head.flags, ErrorCode.OVERLOADED);
      return;
    }
    const req = new PendingRequest(
      client,
      head.id,
      name,
      meta,
      body,
      head.flags,
      now,
      now + head.timeoutMs,
      now,
    );
    client.hold(req.deadline);
    if (worker) this.dispatch(req, worker, now);
    else service.enqueue(req);
  }

  /**
   * One (meta, body) pair of a worker's REPLY. A final status frees the worker's credit; call
   * `dispatchWaiting` for the worker's service once the whole message is handled.
   */
  acceptReply(worker: WorkerPeer, reply: ReplyMeta, meta: Buffer, body: Buffer): void {
    const req = this.inFlight.get(reply.id);
    if (req === undefined || req.worker !== worker) {
      this.counters.staleReplies += 1;
      return;
    }
    this.counters.replies += 1;
    if (isFinalStatus(reply.status)) {
      this.inFlight.delete(reply.id);
      worker.inFlight.remove(req);
      worker.served += 1;
      req.worker = null;
      this.settle(req);
    }
    if (req.isEvent) return;
    const client = this.liveClient(req.client);
    if (!client) {
      this.counters.undeliverable += 1;
      return;
    }
    rewriteReplyId(meta, req.clientRequestId);
    this.frontend.pushPair(client.routingId, Command.REPLY, meta, body);
  }

  /** A request whose deadline passed while it was queued (taken off its queue): DEADLINE_EXCEEDED. */
  private expireQueued(req: PendingRequest, now: number): void {
    this.settle(req);
    this.counters.expired += 1;
    this.outcomes.write(
      'info',
      req.meta,
      { service: req.service },
      'request expired in queue: DEADLINE_EXCEEDED',
      now,
    );
    this.answerError(req.client, req.clientRequestId, req.flags, ErrorCode.DEADLINE_EXCEEDED);
  }

  /** Hands queued requests to workers while some worker has free credit. */
  dispatchWaiting(service: ServiceQueue, now: number): void {
    while (service.queued > 0) {
      const worker = service.pickWorker();
      if (!worker) return;
      const req = service.dequeue() as PendingRequest;
      if (req.deadline - now < 1) {
        this.expireQueued(req, now);
        continue;
      }
      this.dispatch(req, worker, now);
    }
  }

  private dispatch(req: PendingRequest, worker: WorkerPeer, now: number): void {
    const id = this.nextRequestId();
    req.brokerRequestId = id;
    req.worker = worker;
    if (req.dispatchCount > 0) this.counters.redispatched += 1;
    req.dispatchCount += 1;
    if (this.log.isLevelEnabled?.('debug') === true) {
      this.log.debug(
        { ...requestFields(req.meta), worker: worker.announcement.instance, attempt: req.dispatchCount },
        'request dispatched',
      );
    }
    worker.inFlight.pushBack(req);
    worker.lastDispatchSeq = ++this.dispatchSeq;
    this.inFlight.set(id, req);
    this.counters.dispatched += 1;
    rewriteRequestMeta(req.meta, id, req.deadline - now);
    this.backend.pushPair(worker.routingId, Command.REQUEST, req.meta, req.body);
    this.hooks.onDispatch?.(now - req.arrivedAt);
  }

  /** Broker-wide u32 ids, skipping any still held by a worker after the counter wraps. */
  private nextRequestId(): number {
    let id = this.lastRequestId;
    do id = (id + 1) % U32_SPACE;
    while (this.inFlight.has(id));
    this.lastRequestId = id;
    return id;
  }

  // ---- workers --------------------------------------------------------------------------------

  registerWorker(routingId: Buffer, key: string, announcement: WorkerAnnouncement, now: number): WorkerPeer {
    const { worker, service, known } = this.workers.register(
      routingId,
      key,
      announcement,
      now,
      ++this.dispatchSeq,
    );
    this.log.info(
      {
        service: announcement.service,
        worker: announcement.instance,
        capacity: announcement.capacity,
        known,
      },
      known ? 'worker re-announced' : 'worker ready',
    );
    this.dispatchWaiting(service, now);
    return worker;
  }

  /** DRAIN: no more work for this worker; what it holds still completes. */
  drainWorker(worker: WorkerPeer): void {
    if (!worker.draining)
      this.log.info({ service: worker.service, worker: worker.announcement.instance }, 'worker draining');
    worker.draining = true;
  }

  /**
   * Forgets a worker that died, disconnected or became unreachable. Its idempotent requests (and
   * those it never received) go back to the front of their queue with their original deadline;
   * the others are answered WORKER_LOST. Calling it twice is harmless.
   */
  removeWorker(worker: WorkerPeer, reason: string, now: number): void {
    if (!this.workers.remove(worker)) return;
    const lost = worker.inFlight.size;
    const touched = new Set<ServiceQueue>();
    // Newest first, each pushed to the front: the queue ends up in the original dispatch order.
    for (let req = worker.inFlight.tail; req !== null; req = worker.inFlight.tail) {
      worker.inFlight.remove(req);
      this.inFlight.delete(req.brokerRequestId);
      req.worker = null;
      if (!this.liveClient(req.client)) {
        this.settle(req);
        continue;
      }
      if (req.idempotent || req.undelivered) {
        req.undelivered = false;
        // The old meta may still sit in the backend send queue: rewrite a copy, not the message.
        req.meta = Buffer.from(req.meta);
        req.waitingSince = now;
        const service = this.workers.obtainService(req.service);
        service.requeueFirst(req);
        touched.add(service);
        this.outcomes.write(
          'info',
          req.meta,
          { worker: worker.announcement.instance, reason },
          'request requeued: its worker is gone',
          now,
        );
      } else if (req.isEvent) {
        this.settle(req);
        this.counters.eventsLost += 1;
        this.outcomes.write(
          'warn',
          req.meta,
          { worker: worker.announcement.instance, reason },
          'event lost with its worker',
          now,
        );
      } else {
        this.settle(req);
        this.counters.workerLost += 1;
        this.outcomes.write(
          'warn',
          req.meta,
          { worker: worker.announcement.instance, reason },
          'request failed: WORKER_LOST',
          now,
        );
        this.answerError(req.client, req.clientRequestId, req.flags, ErrorCode.WORKER_LOST);
      }
    }
    this.log.warn(
      { service: worker.service, worker: worker.announcement.instance, reason, inFlight: lost },
      'worker removed',
    );
    for (const service of touched) this.dispatchWaiting(service, now);
  }

  /**
   * The backend could not hand a REQUEST message to a worker: those requests never reached it, so
   * they may be re-dispatched whatever their flags. Call before removing the worker.
   */
  markUndelivered(worker: WorkerPeer, frames: readonly Buffer[]): void {
    for (let i = 0; i + 1 < frames.length; i += 2) {
      const req = this.inFlight.get(frames[i].readUInt32LE(0));
      if (req !== undefined && req.worker === worker && req.meta === frames[i]) req.undelivered = true;
    }
  }

  // ---- clients --------------------------------------------------------------------------------

  /** Forgets a client and drops its queued requests; replies to what it has in flight are dropped later. */
  removeClient(client: ClientPeer, reason: string): void {
    if (!this.clients.remove(client)) return;
    let dropped = 0;
    for (const service of this.workers.services()) {
      if (service.queued === 0) continue;
      for (const req of service.waiting()) {
        if (req.client === client && service.remove(req)) {
          this.settle(req);
          dropped += 1;
        }
      }
    }
    this.counters.droppedForDeadClient += dropped;
    this.log.debug({ reason, dropped }, 'client removed');
  }

  /** The request's client if still connected (the same routing id may have come back after being expired). */
  private liveClient(client: ClientPeer): ClientPeer | undefined {
    return client.alive ? client : this.clients.get(client.key);
  }

  // ---- sweeps ---------------------------------------------------------------------------------

  /**
   * Every 50 ms: answer queued requests whose deadline passed (DEADLINE_EXCEEDED) or whose service
   * has had no ready worker for the whole grace period (SERVICE_UNAVAILABLE).
   */
  sweepQueues(now: number): void {
    for (const service of this.workers.services()) {
      if (service.queued > 0) {
        const serviceable = service.hasReadyWorker();
        for (const req of service.waiting()) {
          if (req.deadline - now < 1) {
            service.remove(req);
            this.expireQueued(req, now);
          } else if (!serviceable && now - req.waitingSince >= this.limits.serviceGraceMs) {
            service.remove(req);
            this.settle(req);
            this.counters.serviceUnavailable += 1;
            this.outcomes.write(
              'warn',
              req.meta,
              { service: req.service },
              'no worker for the service: SERVICE_UNAVAILABLE',
              now,
            );
            this.answerError(req.client, req.clientRequestId, req.flags, ErrorCode.SERVICE_UNAVAILABLE);
          }
        }
        this.dispatchWaiting(service, now);
      }
      this.workers.forgetIfIdle(service);
    }
  }

  /**
   * Every heartbeat: any worker silent for 3 intervals is dead, wherever it sits. A client silent
   * that long is forgotten only once nothing it is owed an answer for is left before its deadline:
   * a caller that does not PING keeps its calls for as long as it waits for them.
   */
  sweepPeers(now: number): void {
    const silentSince = now - LIVENESS_INTERVALS * this.limits.heartbeatMs;
    for (const worker of this.workers.workers()) {
      if (worker.lastSeen < silentSince) this.removeWorker(worker, 'silent', now);
    }
    for (const client of this.clients.all()) {
      if (client.lastSeen < silentSince && !client.holding(now)) this.removeClient(client, 'silent');
    }
  }

  /** The request needs no more from the broker: its client stops being held alive by it. */
  private settle(req: PendingRequest): void {
    if (req.settled) return;
    req.settled = true;
    req.client.release();
  }

  // ---- replies from the broker itself ---------------------------------------------------------

  private answerError(
    client: ClientPeer,
    clientRequestId: number,
    flags: number,
    code: BrokerErrorCode,
  ): void {
    // An EVENT's caller asked for no reply, errors included.
    if (flags & RequestFlag.EVENT) return;
    const live = this.liveClient(client);
    if (!live) return;
    this.frontend.pushPair(
      live.routingId,
      Command.REPLY,
      encodeReplyMeta(clientRequestId, ReplyStatus.ERROR, CodecId.JSON),
      this.errors.body(code),
    );
  }

  // ---- statistics -----------------------------------------------------------------------------

  services(now: number): Record<string, ServiceStats> {
    const services: Record<string, ServiceStats> = {};
    for (const service of this.workers.services()) {
      services[service.name] = {
        queued: service.queued,
        workers: service.workers.map((worker) => ({
          instance: worker.announcement.instance,
          version: worker.announcement.version,
          capacity: worker.capacity,
          inFlight: worker.inFlight.size,
          served: worker.served,
          draining: worker.draining,
          lastSeenMsAgo: Math.max(0, Math.round(now - worker.lastSeen)),
        })),
      };
    }
    return services;
  }

  stats(brokerId: string, uptimeMs: number, now: number): BrokerStats {
    return {
      brokerId,
      uptimeMs: Math.round(uptimeMs),
      services: this.services(now),
      clients: this.clients.size,
      inFlight: this.inFlight.size,
      queuedBytes: this.budget.bytes,
      counters: statsCounters(this.counters),
      busAuth: busAuthCounts(),
    };
  }
}
