import type { RoomState } from '@live-im/broadcast';
import { PresenceStore } from '@live-im/presence';
import { AggregationLeases, LeaseRound } from './aggregation-leases';

/** Where a round's room states go: the broadcast publisher; returns how many it took. */
export interface RoomStateSink {
  publishStates(states: readonly RoomState[]): number;
}

/** What a round reports to the metrics. */
export interface AggregationObserver {
  round(result: AggregationRound): void;
  failed(error: unknown): void;
}

export interface AggregationRound {
  leases: LeaseRound;
  /** Rooms whose figures were read (one script each). */
  rooms: number;
  /** States handed to the publisher; the others had no route or met a full queue. */
  published: number;
  seconds: number;
}

/**
 * The once-per-interval aggregation of this worker's share of live rooms (docs/architecture.md
 * "Online count"): renew the shard leases, list each held shard's rooms, read each room's online
 * figures and latest seqs once for the whole cluster, and publish one room state per room to the
 * room's broadcast node, which forwards it to every gateway with viewers.
 */
export class RoomStateAggregator {
  private running = false;

  constructor(
    private readonly leases: AggregationLeases,
    private readonly presence: PresenceStore,
    private readonly seqKeys: (roomId: string) => [string, string],
    private readonly sink: RoomStateSink,
    private readonly observer: AggregationObserver,
  ) {}

  /** One round; a round still running when the next is due makes that one skip. */
  async round(now: number): Promise<AggregationRound | undefined> {
    if (this.running) return undefined;
    this.running = true;
    const started = process.hrtime.bigint();
    try {
      const leases = await this.leases.renew(now);
      let rooms = 0;
      let published = 0;
      for (const shard of leases.held) {
        const roomIds = await this.presence.liveRooms(shard, now);
        if (roomIds.length === 0) continue;
        const figures = await this.presence.roomFigures(roomIds, this.seqKeys, now);
        rooms += figures.length;
        published += this.sink.publishStates(figures);
      }
      const result = { leases, rooms, published, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
      this.observer.round(result);
      return result;
    } catch (error) {
      this.observer.failed(error);
      return undefined;
    } finally {
      this.running = false;
    }
  }

  /** Shutdown: the shards go back at once, for the other workers' next round. */
  release(): Promise<void> {
    return this.leases.releaseAll();
  }
}
