import { Logger } from '@nestjs/common';
import { BusinessReceipt, BusinessRpc, MAX_RECEIPTS_PER_CALL, RpcError } from '@live-im/contracts';
import { ZmqClient } from '@live-im/zmq-transport';
import { RoomMetrics } from '../metrics/room-metrics';

export type { BusinessReceipt };

/** Events for the platform's business services; fire and forget. */
export interface BusinessEvents {
  /** Sent as business.receipts calls of up to MAX_RECEIPTS_PER_CALL each. */
  receipts(events: readonly BusinessReceipt[]): void;
}

export const BUSINESS_EVENTS = Symbol('BUSINESS_EVENTS');

/** Business events (receipts) waiting for their worker's answer; past it new ones are lost at once (bounded memory). */
export const BUSINESS_EVENTS_MAX_IN_FLIGHT = 100_000;
/** At most one warning per reason this often; it says how many events were lost since the last. */
export const BUSINESS_LOSS_LOG_INTERVAL_MS = 10_000;
/** The loss reason of events refused because BUSINESS_EVENTS_MAX_IN_FLIGHT wait already. */
export const IN_FLIGHT_LIMIT = 'IN_FLIGHT_LIMIT';

export interface BrokerBusinessEventsOptions {
  maxInFlight?: number;
  logIntervalMs?: number;
}

/**
 * BusinessEvents over the brokers. Each batch of events goes as a call (business.receipts is idempotent),
 * not as a wire EVENT: a broker takes an EVENT for a service with no worker and drops it after
 * its grace period without a word, whereas a call comes back SERVICE_UNAVAILABLE. Nobody waits
 * for the answer: a missing business worker or broker costs a counted, logged loss, never a
 * failed receipt.
 */
export class BrokerBusinessEvents implements BusinessEvents {
  private readonly logger = new Logger(BrokerBusinessEvents.name);
  private readonly maxInFlight: number;
  private readonly losses: LossLog;
  private inFlight = 0;

  constructor(
    private readonly client: ZmqClient,
    private readonly metrics: RoomMetrics,
    options: BrokerBusinessEventsOptions = {},
  ) {
    this.maxInFlight = options.maxInFlight ?? BUSINESS_EVENTS_MAX_IN_FLIGHT;
    this.losses = new LossLog(this.logger, options.logIntervalMs ?? BUSINESS_LOSS_LOG_INTERVAL_MS);
  }

  /** Events sent and not answered yet. */
  get pending(): number {
    return this.inFlight;
  }

  receipts(events: readonly BusinessReceipt[]): void {
    for (let from = 0; from < events.length; from += MAX_RECEIPTS_PER_CALL) {
      this.send(events.slice(from, from + MAX_RECEIPTS_PER_CALL));
    }
  }

  private send(batch: BusinessReceipt[]): void {
    const contract = BusinessRpc.receipts;
    const count = batch.length;
    if (this.inFlight + count > this.maxInFlight) {
      this.lost(
        contract.pattern,
        IN_FLIGHT_LIMIT,
        `${this.inFlight} events already wait for an answer`,
        count,
      );
      return;
    }
    this.inFlight += count;
    this.client.rpc
      .call(
        contract.pattern,
        { receipts: batch },
        { timeoutMs: contract.timeoutMs, idempotent: contract.idempotent },
      )
      .then(
        () => this.metrics.businessEvent(contract.pattern, 'delivered', undefined, count),
        (error: unknown) => {
          const rpcError = RpcError.from(error);
          this.lost(contract.pattern, rpcError.code, rpcError.message, count);
        },
      )
      .finally(() => {
        this.inFlight -= count;
      });
  }

  private lost(pattern: string, reason: string, message: string, count: number): void {
    this.metrics.businessEvent(pattern, 'lost', reason, count);
    this.losses.note(pattern, reason, message, count);
  }
}

/** Warns about lost events at a bounded rate: one line per pattern and reason per interval. */
class LossLog {
  private readonly lastLoggedAt = new Map<string, number>();
  private readonly unlogged = new Map<string, number>();

  constructor(
    private readonly logger: Logger,
    private readonly intervalMs: number,
  ) {}

  note(pattern: string, reason: string, message: string, count: number): void {
    const key = `${pattern} ${reason}`;
    const now = performance.now();
    const last = this.lastLoggedAt.get(key);
    if (last !== undefined && now - last < this.intervalMs) {
      this.unlogged.set(key, (this.unlogged.get(key) ?? 0) + count);
      return;
    }
    const since = this.unlogged.get(key) ?? 0;
    this.unlogged.delete(key);
    this.lastLoggedAt.set(key, now);
    this.logger.warn(
      `${count} ${pattern} events lost (${reason}: ${message})` +
        (since > 0 ? `; ${since} more lost for the same reason since the last warning` : ''),
    );
  }
}
