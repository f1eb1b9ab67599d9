import { freshMetricName, scrapeCounter } from '@live-im/health';
import type { ConnectLimit, Lane, ReceiptStatus } from '@live-im/contracts';
import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram } from 'prom-client';

const PREFIX = 'gateway_';

/** What happened to a socket that fell behind. */
export type SlowSocketOutcome = 'skipped' | 'disconnected';

/** How a write left: one write of shared frame bytes to the TCP socket, or socket.io's emit. */
export type WritePath = 'direct' | 'emit';

/** Client events refused before any handler saw them, by why. */
export type RefusedEventReason = 'missing_ack' | 'unknown_event' | 'unknown_event_without_ack';

interface LaneCounts {
  batches: number;
  messages: number;
  /** Socket writes: a batch times the sockets it went to. */
  writes: number;
}

/**
 * Prometheus view of the gateway on the default registry. The delivery hot path only bumps plain
 * number fields, read when scraped; the per-event, per-RPC and per-flush figures are ordinary
 * prom-client metrics since they cost little next to the work they measure.
 */
@Injectable()
export class GatewayMetrics {
  private readonly lanes: Record<Lane, LaneCounts> = {
    normal: { batches: 0, messages: 0, writes: 0 },
    important: { batches: 0, messages: 0, writes: 0 },
  };
  private readonly slow: Record<Lane, Record<SlowSocketOutcome, number>> = {
    normal: { skipped: 0, disconnected: 0 },
    important: { skipped: 0, disconnected: 0 },
  };
  private readonly malformedBatches = { room: 0, user: 0 };
  private readonly writes: Record<WritePath, number> = { direct: 0, emit: 0 };
  private readonly events: Counter;
  private readonly handshakes: Counter;
  private readonly rpcDuration: Histogram;
  private readonly receipts: Counter;
  private readonly receiptReports: Counter;
  private readonly receiptCalls: Counter;
  private readonly presenceFlush: Histogram;
  private readonly presenceFlushFailures: Counter;
  private readonly directs: Counter;
  private readonly refusedEvents: Counter;
  private readonly connectRefusals: Counter;
  private readonly sendBufferBound: Gauge;
  private sendBufferFailures = 0;
  private transportDrops = 0;

  constructor() {
    this.events = new Counter({
      name: freshMetricName(`${PREFIX}events_total`),
      help: 'Client events handled, by event name and result code (OK or the error code)',
      labelNames: ['event', 'code'],
    });
    this.handshakes = new Counter({
      name: freshMetricName(`${PREFIX}handshakes_total`),
      help: 'Socket.IO handshakes, by result (OK or the connect_error code) and identity kind',
      labelNames: ['code', 'kind'],
    });
    this.rpcDuration = new Histogram({
      name: freshMetricName(`${PREFIX}rpc_duration_seconds`),
      help: 'RPC calls made by the gateway, by pattern and result code',
      labelNames: ['pattern', 'code'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    });
    this.receipts = new Counter({
      name: freshMetricName(`${PREFIX}receipts_total`),
      help: 'Receipts of requireAck messages reported by this gateway, by status',
      labelNames: ['status'],
    });
    this.receiptReports = new Counter({
      name: freshMetricName(`${PREFIX}receipt_reports_total`),
      help: 'Receipts in room.receipts calls, by outcome: sent (answered), retried (refused for now, queued again), dropped (refused for good, or the queue full: code QUEUE_FULL)',
      labelNames: ['outcome', 'code'],
    });
    this.receiptCalls = new Counter({
      name: freshMetricName(`${PREFIX}receipt_calls_total`),
      help: 'room.receipts calls, by outcome (sent, retried, dropped)',
      labelNames: ['outcome'],
    });
    this.presenceFlush = new Histogram({
      name: freshMetricName(`${PREFIX}presence_flush_seconds`),
      help: "Time to write this gateway's presence deltas to Redis",
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    });
    this.presenceFlushFailures = new Counter({
      name: freshMetricName(`${PREFIX}presence_flush_failures_total`),
      help: 'Presence flushes that failed (their deltas are written whole by the next one)',
    });
    this.directs = new Counter({
      name: freshMetricName(`${PREFIX}directs_total`),
      help: "Messages sent to one user's sockets, by kind (message, redelivery, receipt, kick, roomClosed)",
      labelNames: ['kind'],
    });
    this.refusedEvents = new Counter({
      name: freshMetricName(`${PREFIX}events_refused_total`),
      help: 'Client events not processed: sent without an ack callback (answered with a failure event), or unknown',
      labelNames: ['reason'],
    });
    this.connectRefusals = new Counter({
      name: freshMetricName(`${PREFIX}connect_refusals_total`),
      help: 'Handshakes refused by a connection limit: address_rate, address_connections, gateway_full, shutting_down',
      labelNames: ['limit'],
    });
    for (const limit of ['address_rate', 'address_connections', 'gateway_full', 'shutting_down'] as const)
      this.connectRefusals.inc({ limit }, 0);
    this.sendBufferBound = new Gauge({
      name: freshMetricName(`${PREFIX}send_buffer_bound_bytes`),
      help: 'SO_SNDBUF set on each WebSocket connection (SEND_BUFFER_BYTES); 0 when the bound is off (configured 0, or setsockopt unavailable)',
    });
    scrapeCounter(
      `${PREFIX}send_buffer_bound_failures_total`,
      'WebSocket connections whose send buffer could not be bounded (closed before it was set): their backlog stays in the kernel',
      [],
      () => [[{}, this.sendBufferFailures]],
    );
    scrapeCounter(
      `${PREFIX}transport_drops_total`,
      'TCP connections closed as soon as accepted: the HTTP server at its cap (open-files limit less the gateway own handles)',
      [],
      () => [[{}, this.transportDrops]],
    );
    scrapeCounter(
      `${PREFIX}batches_out_total`,
      'Room batches fanned out to local sockets, per lane: each batch once, however many sockets it went to',
      ['lane'],
      () => [
        [{ lane: 'normal' }, this.lanes.normal.batches],
        [{ lane: 'important' }, this.lanes.important.batches],
      ],
    );
    scrapeCounter(
      `${PREFIX}messages_out_total`,
      'Messages in the room batches broadcast, per lane',
      ['lane'],
      () => [
        [{ lane: 'normal' }, this.lanes.normal.messages],
        [{ lane: 'important' }, this.lanes.important.messages],
      ],
    );
    scrapeCounter(
      `${PREFIX}batch_writes_total`,
      'Room batches written to sockets (batches times recipients), per lane',
      ['lane'],
      () => [
        [{ lane: 'normal' }, this.lanes.normal.writes],
        [{ lane: 'important' }, this.lanes.important.writes],
      ],
    );
    scrapeCounter(
      `${PREFIX}slow_sockets_total`,
      'Sockets whose backlog (bytes not yet taken by the kernel) was over the limit when a batch left: skipped (normal) or disconnected (important)',
      ['lane', 'outcome'],
      () => [
        [{ lane: 'normal', outcome: 'skipped' }, this.slow.normal.skipped],
        [{ lane: 'important', outcome: 'disconnected' }, this.slow.important.disconnected],
      ],
    );
    scrapeCounter(
      `${PREFIX}socket_writes_total`,
      'Writes to client sockets: direct (one write call of shared frame bytes, however many events it holds) or emit (one socket.io packet)',
      ['path'],
      () => [
        [{ path: 'direct' }, this.writes.direct],
        [{ path: 'emit' }, this.writes.emit],
      ],
    );
    scrapeCounter(
      `${PREFIX}malformed_batches_total`,
      'Batch bodies that were not a JSON array of envelopes',
      ['channel'],
      () => [
        [{ channel: 'room' }, this.malformedBatches.room],
        [{ channel: 'user' }, this.malformedBatches.user],
      ],
    );
  }

  /** One room batch of `messages` starts its fan-out (counted once, whatever the number of sockets). */
  batchStarted(lane: Lane, messages: number): void {
    const counts = this.lanes[lane];
    counts.batches += 1;
    counts.messages += messages;
  }

  /** A room batch (or the part of it a socket still needed) was written to `recipients` sockets. */
  batchWrites(lane: Lane, recipients: number): void {
    this.lanes[lane].writes += recipients;
  }

  /** `count` writes left for client sockets by `path`. */
  socketWrites(path: WritePath, count: number): void {
    this.writes[path] += count;
  }

  /** The send buffer bound in force for WebSocket connections (0: off). */
  sendBufferBoundBytes(bytes: number): void {
    this.sendBufferBound.set(bytes);
  }

  transportDropped(): void {
    this.transportDrops += 1;
  }

  sendBufferBoundFailed(): void {
    this.sendBufferFailures += 1;
  }

  eventRefused(reason: RefusedEventReason): void {
    this.refusedEvents.inc({ reason });
  }

  connectRefused(limit: ConnectLimit): void {
    this.connectRefusals.inc({ limit });
  }

  /** `count` sockets of one pass skipped or cut off for being behind. */
  slowSocket(lane: Lane, outcome: SlowSocketOutcome, count = 1): void {
    this.slow[lane][outcome] += count;
  }

  malformedBatch(channel: 'room' | 'user'): void {
    this.malformedBatches[channel] += 1;
  }

  event(event: string, code: string): void {
    this.events.inc({ event, code });
  }

  handshake(code: string, kind: 'user' | 'guest' | 'anonymous' | 'unknown'): void {
    this.handshakes.inc({ code, kind });
  }

  /** Starts timing one RPC; call the returned function with the result code. */
  rpcTimer(pattern: string): (code: string) => void {
    const end = this.rpcDuration.startTimer({ pattern });
    return (code) => {
      end({ code });
    };
  }

  receipt(status: ReceiptStatus): void {
    this.receipts.inc({ status });
  }

  /** One room.receipts call's outcome, for its `size` receipts. */
  receiptCall(outcome: 'sent' | 'retried' | 'dropped', size: number, code = 'OK'): void {
    this.receiptCalls.inc({ outcome });
    this.receiptReports.inc({ outcome, code }, size);
  }

  /** A receipt dropped because the queue to room-service was full. */
  receiptQueueFull(): void {
    this.receiptReports.inc({ outcome: 'dropped', code: 'QUEUE_FULL' });
  }

  direct(kind: 'message' | 'redelivery' | 'receipt' | 'kick' | 'roomClosed', count = 1): void {
    this.directs.inc({ kind }, count);
  }

  presenceFlushed(seconds: number, ok: boolean): void {
    this.presenceFlush.observe(seconds);
    if (!ok) this.presenceFlushFailures.inc();
  }

  /** Gauges read when scraped: connections by transport, local rooms, pending receipts, subscriber figures. */
  trackGauges(read: {
    connectionsByTransport: () => Record<string, number>;
    connectionLimit: () => number;
    acceptingConnections: () => boolean;
    timesFull: () => number;
    rooms: () => number;
    pendingReceipts: () => number;
    queuedReceipts: () => number;
    fanout: () => { queued: number; joined: number; dropped: number; paced: number };
    subscriber: () => {
      delivered: number;
      gaps: number;
      duplicates: number;
      malformed: number;
      connected: number;
      channelMoves: number;
    };
  }): void {
    new Gauge({
      name: freshMetricName(`${PREFIX}connections`),
      help: 'Connected sockets, by transport',
      labelNames: ['transport'],
      collect() {
        this.reset();
        const byTransport = read.connectionsByTransport();
        // Both transports always appear, at 0 when unused.
        this.set({ transport: 'polling' }, byTransport['polling'] ?? 0);
        this.set({ transport: 'websocket' }, byTransport['websocket'] ?? 0);
        for (const [transport, count] of Object.entries(byTransport)) {
          if (transport !== 'polling' && transport !== 'websocket') this.set({ transport }, count);
        }
      },
    });
    new Gauge({
      name: freshMetricName(`${PREFIX}connection_limit`),
      help: 'Connections this gateway accepts at most (MAX_CONNECTIONS, or derived from the open-files limit)',
      collect() {
        this.set(read.connectionLimit());
      },
    });
    new Gauge({
      name: freshMetricName(`${PREFIX}accepting_connections`),
      help: '1 while this gateway takes new connections; 0 from when it is full until it is back to its low-water mark (/health/ready is down meanwhile)',
      collect() {
        this.set(read.acceptingConnections() ? 1 : 0);
      },
    });
    scrapeCounter(
      `${PREFIX}full_total`,
      'Times this gateway reached its connection limit and reported itself not ready for new connections',
      [],
      () => [[{}, read.timesFull()]],
    );
    new Gauge({
      name: freshMetricName(`${PREFIX}rooms`),
      help: 'Rooms with at least one socket joined on this gateway',
      collect() {
        this.set(read.rooms());
      },
    });
    new Gauge({
      name: freshMetricName(`${PREFIX}fanout_queued`),
      help: 'Rooms with a pass of writes under way or writes waiting for their next pass',
      collect() {
        this.set(read.fanout().queued);
      },
    });
    new Gauge({
      name: freshMetricName(`${PREFIX}fanout_batches_joined`),
      help: 'Batches joined to a waiting batch of the same room lane, since start',
      collect() {
        this.set(read.fanout().joined);
      },
    });
    new Gauge({
      name: freshMetricName(`${PREFIX}fanout_batches_dropped`),
      help: 'Normal batches dropped because too many that could not be joined waited for one room (the gateway far behind), since start',
      collect() {
        this.set(read.fanout().dropped);
      },
    });
    new Gauge({
      name: freshMetricName(`${PREFIX}fanout_rooms_paced`),
      help: 'Rooms whose normal batches wait for their pace (flow control by room size, NORMAL_PACE_MAX_MS)',
      collect() {
        this.set(read.fanout().paced);
      },
    });
    new Gauge({
      name: freshMetricName(`${PREFIX}receipts_pending`),
      help: '(message, user) pairs waiting for an ack on this gateway',
      collect() {
        this.set(read.pendingReceipts());
      },
    });
    new Gauge({
      name: freshMetricName(`${PREFIX}receipts_queued`),
      help: 'Receipts queued for room.receipts calls, not yet sent',
      collect() {
        this.set(read.queuedReceipts());
      },
    });
    new Gauge({
      name: freshMetricName(`${PREFIX}broadcast_nodes_connected`),
      help: 'Broadcast nodes (or relays) the subscriber is connected to',
      collect() {
        this.set(read.subscriber().connected);
      },
    });
    scrapeCounter(
      `${PREFIX}subscriber_batches_total`,
      'Batches the broadcast subscriber handed over, and its anomalies',
      ['kind'],
      () => {
        const stats = read.subscriber();
        return [
          [{ kind: 'delivered' }, stats.delivered],
          [{ kind: 'gap' }, stats.gaps],
          [{ kind: 'duplicate' }, stats.duplicates],
          [{ kind: 'malformed' }, stats.malformed],
        ];
      },
    );
    scrapeCounter(
      `${PREFIX}user_channel_moves_total`,
      'User-channel subscriptions made at a new owner node after the broadcast topology changed',
      [],
      () => [[{}, read.subscriber().channelMoves]],
    );
  }
}
