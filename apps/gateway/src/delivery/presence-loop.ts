import { Clock } from '@live-im/bootstrap';
import { PresenceStore, PresenceTracker } from '@live-im/presence';
import { Inject, Injectable } from '@nestjs/common';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config';
import { errorFields, GATEWAY_LOGGER, type GatewayLogger } from '../gateway.tokens';
import { GatewayMetrics } from '../metrics/gateway-metrics';
import { SessionRegistry } from '../socket/session-registry';
import { BatchFanout } from './batch-fanout';

/** Rooms read per onlineMany call of one broadcast round. */
const ONLINE_ROOMS_PER_READ = 256;

/**
 * Presence in the open: every PRESENCE_FLUSH_MS this gateway's counts and member changes go to Redis under its lease; every ONLINE_BROADCAST_MS each
 * local room gets the summed figures as `online`, written with the room's next pass (BatchFanout). A round still running when the next is due
 * makes that one skip, so a slow Redis never piles rounds up.
 */
@Injectable()
export class PresenceLoop {
  private flushTimer: NodeJS.Timeout | undefined;
  private onlineTimer: NodeJS.Timeout | undefined;
  private flushing = false;
  private broadcasting = false;

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly tracker: PresenceTracker,
    private readonly store: PresenceStore,
    private readonly registry: SessionRegistry,
    private readonly fanout: BatchFanout,
    private readonly metrics: GatewayMetrics,
    private readonly clock: Clock,
    @Inject(GATEWAY_LOGGER) private readonly log: GatewayLogger,
  ) {}

  start(): void {
    this.flushTimer ??= setInterval(() => void this.flush(), this.config.PRESENCE_FLUSH_MS);
    this.onlineTimer ??= setInterval(() => void this.broadcastOnline(), this.config.ONLINE_BROADCAST_MS);
  }

  stop(): void {
    clearInterval(this.flushTimer);
    clearInterval(this.onlineTimer);
    this.flushTimer = undefined;
    this.onlineTimer = undefined;
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

  /** Sends each local room its online figures, summed over live gateways. */
  async broadcastOnline(): Promise<void> {
    if (this.broadcasting) return;
    this.broadcasting = true;
    try {
      const rooms = this.registry.rooms();
      for (let i = 0; i < rooms.length; i += ONLINE_ROOMS_PER_READ) {
        const infos = await this.store.onlineMany(
          rooms.slice(i, i + ONLINE_ROOMS_PER_READ),
          this.clock.now(),
        );
        // Written with each room's next pass, in slices like every room-wide write.
        for (const info of infos) this.fanout.online(info);
      }
    } catch (error) {
      this.log.warn(errorFields(error), 'reading online figures failed');
    } finally {
      this.broadcasting = false;
    }
  }

  /** Shutdown: this gateway's entries leave Redis at once instead of lingering until their lease ends. */
  async withdraw(): Promise<void> {
    const rooms = new Set([...this.tracker.rooms(), ...this.tracker.drain().map((delta) => delta.roomId)]);
    await this.store.withdraw(this.config.INSTANCE_ID, [...rooms]);
  }
}
