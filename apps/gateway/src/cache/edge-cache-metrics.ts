import type { Lane } from '@live-im/contracts';
import { freshMetricName, scrapeCounter } from '@live-im/health';
import { Gauge } from 'prom-client';
import type { EdgeCache } from './edge-cache';

/** What a read of the cache came to: all of it held, part asked of room-service, or all asked. */
export type CacheReadResult = 'hit' | 'partial' | 'miss';
/** What the cache was read for. */
export type CacheReadKind = 'join' | 'history';
/** How one gap fill ended: its messages delivered, or room-service could not be read. */
export type GapFillOutcome = 'filled' | 'failed';

/** One labelled value of a scraped counter. */
type Sample = [Record<string, string>, number];

const LANES: readonly Lane[] = ['normal', 'important'];
const RESULTS: readonly CacheReadResult[] = ['hit', 'partial', 'miss'];
const KINDS: readonly CacheReadKind[] = ['join', 'history'];

/**
 * The edge cache's and the gap fill's counters, plain numbers read when scraped: reads by result,
 * evictions, bytes held, room.admit calls, gap fills and the seqs they recovered or could not.
 */
export class EdgeCacheMetrics {
  private readonly reads = new Map<string, number>();
  private admitCalls = 0;
  private admitted = 0;
  private readonly fills: Record<Lane, Record<GapFillOutcome, number>> = {
    normal: { filled: 0, failed: 0 },
    important: { filled: 0, failed: 0 },
  };
  private readonly seqs: Record<Lane, { recovered: number; unrecoverable: number }> = {
    normal: { recovered: 0, unrecoverable: 0 },
    important: { recovered: 0, unrecoverable: 0 },
  };
  private readonly heldReleased: Record<Lane, number> = { normal: 0, important: 0 };

  constructor(cache: EdgeCache) {
    scrapeCounter(
      'gateway_edge_cache_reads_total',
      'Joins and history calls by what the edge cache held: hit (all of it, no RPC), partial (room-service asked for the rest) or miss (room-service answered)',
      ['kind', 'result'],
      () =>
        KINDS.flatMap((kind) =>
          RESULTS.map((result): Sample => [{ kind, result }, this.readsOf(kind, result)]),
        ),
    );
    scrapeCounter(
      'gateway_edge_cache_evictions_total',
      'Messages the edge cache let go for its bounds (per lane and over all rooms), and whole rooms let go for the gateway bound',
      ['what'],
      () => [
        [{ what: 'messages' }, cache.counters.evictedMessages],
        [{ what: 'rooms' }, cache.counters.evictedRooms],
      ],
    );
    scrapeCounter(
      'gateway_edge_cache_lane_resets_total',
      'Room lanes whose cached messages were dropped because a batch did not continue them (a gap not filled)',
      [],
      () => [[{}, cache.counters.laneResets]],
    );
    scrapeCounter(
      'gateway_edge_cache_malformed_total',
      'Cached batch bodies that were not a JSON array of messages when first read (held as empty)',
      [],
      () => [[{}, cache.counters.malformed]],
    );
    new Gauge({
      name: freshMetricName('gateway_edge_cache_bytes'),
      help: 'JSON bytes of the messages the edge cache holds, over all rooms',
      collect() {
        this.set(cache.bytes);
      },
    });
    new Gauge({
      name: freshMetricName('gateway_edge_cache_rooms'),
      help: 'Rooms the edge cache holds messages of',
      collect() {
        this.set(cache.size);
      },
    });
    new Gauge({
      name: freshMetricName('gateway_edge_cache_messages'),
      help: 'Messages the edge cache holds, per lane',
      labelNames: ['lane'],
      collect() {
        const held = cache.heldMessages();
        for (const lane of LANES) this.set({ lane }, held[lane]);
      },
    });
    scrapeCounter(
      'gateway_admit_calls_total',
      'room.admit calls: joins answered from the edge cache, admitted together per room',
      [],
      () => [[{}, this.admitCalls]],
    );
    scrapeCounter(
      'gateway_admitted_joins_total',
      'Joins admitted through room.admit (each call admits many)',
      [],
      () => [[{}, this.admitted]],
    );
    scrapeCounter(
      'gateway_gap_fills_total',
      'Seq gaps of the broadcast subscriber this gateway filled from room-service once for all its sockets, per lane and outcome',
      ['lane', 'outcome'],
      () =>
        LANES.flatMap((lane) =>
          (['filled', 'failed'] as const).map(
            (outcome): Sample => [{ lane, outcome }, this.fills[lane][outcome]],
          ),
        ),
    );
    scrapeCounter(
      'gateway_gap_seqs_total',
      'Seqs of filled gaps, per lane: recovered (delivered from the room log) or unrecoverable (not in the log, or the fill failed; clients pull them themselves)',
      ['lane', 'result'],
      () =>
        LANES.flatMap((lane) =>
          (['recovered', 'unrecoverable'] as const).map(
            (result): Sample => [{ lane, result }, this.seqs[lane][result]],
          ),
        ),
    );
    scrapeCounter(
      'gateway_gap_held_released_total',
      'Batches held behind a gap fill that went out before it, out of order, per lane: the fill took longer than GAP_FILL_WAIT_MS or the hold was full',
      ['lane'],
      () => LANES.map((lane) => [{ lane }, this.heldReleased[lane]]),
    );
  }

  read(kind: CacheReadKind, result: CacheReadResult): void {
    const key = `${kind}:${result}`;
    this.reads.set(key, (this.reads.get(key) ?? 0) + 1);
  }

  admitCall(users: number): void {
    this.admitCalls += 1;
    this.admitted += users;
  }

  gapFill(lane: Lane, outcome: GapFillOutcome, recovered: number, unrecoverable: number): void {
    this.fills[lane][outcome] += 1;
    this.seqs[lane].recovered += recovered;
    this.seqs[lane].unrecoverable += unrecoverable;
  }

  releasedEarly(lane: Lane, batches: number): void {
    this.heldReleased[lane] += batches;
  }

  private readsOf(kind: CacheReadKind, result: CacheReadResult): number {
    return this.reads.get(`${kind}:${result}`) ?? 0;
  }
}
