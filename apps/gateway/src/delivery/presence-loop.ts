import { Clock } from '@live-im/bootstrap';
import type { RoomState, RoomSubscriber } from '@live-im/broadcast';
import type { Lane, OnlineEvent } from '@live-im/contracts';
import { PresenceStore, PresenceTracker } from '@live-im/presence';
import { Inject, Injectable } from '@nestjs/common';
import { RoomFeed } from '../cache/room-feed';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config';
import { errorFields, GATEWAY_LOGGER, type GatewayLogger } from '../gateway.tokens';
import { GatewayMetrics } from '../metrics/gateway-metrics';
import { BatchFanout } from './batch-fanout';

/**
 * The `online` event a room state makes: the figures, and the lanes' seqs for the seq beacon as
 * `beaconSeq` holds them (RoomFeed.beaconSeq: at what this gateway delivered while it fills).
 */
export function onlineEventOf(
  state: RoomState,
  beaconSeq: (lane: Lane, latest: number) => number,
): OnlineEvent {
  return {
    roomId: state.roomId,
    count: state.count,
    peak: state.peak,
    viewersEver: state.viewersEver,
    seqs: {
      normal: beaconSeq('normal', state.normalSeq),
      important: beaconSeq('important', state.importantSeq),
    },
  };
}

/**
 * Presence in the open: every PRESENCE_FLUSH_MS this gateway's counts and member changes go to
 * Redis under its lease. The room totals are not read here: each room's aggregation owner in
 * room-service sums them once for the cluster and publishes the room's state once a second through
 * the broadcast cluster; each state becomes the room's `online` event, written with the room's next
 * pass (BatchFanout).
 */
@Injectable()
export class PresenceLoop {
  private flushTimer: NodeJS.Timeout | undefined;
  private stopStates: (() => void) | undefined;
  private flushing = false;

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly tracker: PresenceTracker,
    private readonly store: PresenceStore,
    private readonly fanout: BatchFanout,
    private readonly feed: RoomFeed,
    private readonly metrics: GatewayMetrics,
    private readonly clock: Clock,
    @Inject(GATEWAY_LOGGER) private readonly log: GatewayLogger,
  ) {}

  start(subscriber: RoomSubscriber): void {
    this.flushTimer ??= setInterval(() => void this.flush(), this.config.PRESENCE_FLUSH_MS);
    this.stopStates ??= subscriber.onState((state) =>
      this.fanout.online(
        onlineEventOf(state, (lane, latest) => this.feed.beaconSeq(state.roomId, lane, latest)),
      ),
    );
  }

  stop(): void {
    clearInterval(this.flushTimer);
    this.flushTimer = undefined;
    this.stopStates?.();
    this.stopStates = undefined;
  }

  /** Writes what changed since the last flush; on failure the deltas go back to be written whole next time. */
  async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    const deltas = this.tracker.drain();
    const started = process.hrtime.bigint();
    let ok = true;
    try {
      await this.store.flush(this.config.INSTANCE_ID, deltas, this.clock.now());
    } catch (error) {
      ok = false;
      this.tracker.restore(deltas);
      this.log.warn(
        { ...errorFields(error), rooms: deltas.length },
        'presence flush failed; retrying whole at the next one',
      );
    } finally {
      this.flushing = false;
      this.metrics.presenceFlushed(Number(process.hrtime.bigint() - started) / 1e9, ok);
    }
  }

  /** Shutdown: this gateway's entries leave Redis at once instead of lingering until their lease ends. */
  async withdraw(): Promise<void> {
    const rooms = new Set([...this.tracker.rooms(), ...this.tracker.drain().map((delta) => delta.roomId)]);
    await this.store.withdraw(this.config.INSTANCE_ID, [...rooms]);
  }
}
