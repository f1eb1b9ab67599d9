import { Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Clock } from '@live-im/bootstrap';
import { freshMetricName } from '@live-im/health';
import { Counter, Gauge, Histogram } from 'prom-client';
import type { AggregationObserver, AggregationRound, RoomStateAggregator } from './room-state-aggregator';

const PREFIX = 'room_service_aggregation_';

/** The aggregation's metrics (served at /metrics) and its warnings, one line per failed round. */
export class AggregationMetrics implements AggregationObserver {
  private readonly logger = new Logger('RoomStateAggregation');
  private readonly rooms = new Counter({
    name: freshMetricName(`${PREFIX}rooms_total`),
    help: 'Room aggregations: rooms whose online figures and latest seqs were read once for the cluster',
  });
  private readonly beacons = new Counter({
    name: freshMetricName(`${PREFIX}beacons_total`),
    help: 'Room states (seq beacons) by outcome: published (handed to the broadcast publisher) or unrouted (no active node, or its queue full)',
    labelNames: ['outcome'],
  });
  private readonly leases = new Counter({
    name: freshMetricName(`${PREFIX}leases_total`),
    help: 'Shard lease events: acquired (a takeover of a free or expired shard), lost (another holder found), released (handed back for an even share)',
    labelNames: ['event'],
  });
  private readonly failures = new Counter({
    name: freshMetricName(`${PREFIX}failures_total`),
    help: 'Aggregation rounds that failed (Redis unavailable): their rooms get no state that round',
  });
  private readonly held = new Gauge({
    name: freshMetricName(`${PREFIX}shards_held`),
    help: 'Index shards of live rooms this worker aggregates',
  });
  private readonly lastRooms = new Gauge({
    name: freshMetricName(`${PREFIX}rooms_last_round`),
    help: 'Rooms aggregated by this worker in its last round',
  });
  private readonly duration = new Histogram({
    name: freshMetricName(`${PREFIX}round_seconds`),
    help: 'Time of one aggregation round',
    buckets: [0.001, 0.005, 0.02, 0.1, 0.5, 2],
  });

  round(result: AggregationRound): void {
    const { leases } = result;
    this.rooms.inc(result.rooms);
    this.beacons.inc({ outcome: 'published' }, result.published);
    this.beacons.inc({ outcome: 'unrouted' }, result.rooms - result.published);
    this.leases.inc({ event: 'acquired' }, leases.acquired);
    this.leases.inc({ event: 'lost' }, leases.lost);
    this.leases.inc({ event: 'released' }, leases.released);
    this.held.set(leases.held.length);
    this.lastRooms.set(result.rooms);
    this.duration.observe(result.seconds);
    if (leases.acquired > 0 || leases.lost > 0)
      this.logger.log(
        `aggregation shards: ${leases.held.length} held (+${leases.acquired} -${leases.lost}) among ${leases.workers} workers`,
      );
  }

  failed(error: unknown): void {
    this.failures.inc();
    this.logger.warn(`aggregation round failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** Runs the aggregation every ROOM_STATE_MS from boot to shutdown, then hands its shards back. */
export class RoomStateLoop implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly aggregator: RoomStateAggregator,
    private readonly clock: Clock,
    private readonly intervalMs: number,
  ) {}

  onApplicationBootstrap(): void {
    this.schedule();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.aggregator.release().catch(() => undefined);
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.aggregator.round(this.clock.now()).finally(() => this.schedule());
    }, this.intervalMs);
  }
}
