import { Logger } from '@nestjs/common';
import { BusinessRpc, RpcError, RpcRequest } from '@live-im/contracts';
import { ZmqClient } from '@live-im/zmq-transport';
import { RoomMetrics } from '../metrics/room-metrics';

export type BusinessReceipt = RpcRequest<typeof BusinessRpc.receipt>;

/** Events for the platform's business services; fire and forget. */
export interface BusinessEvents {
  receipt(event: BusinessReceipt): void;
}

export const BUSINESS_EVENTS = Symbol('BUSINESS_EVENTS');

/** Business events waiting for their worker's answer; past it new ones are lost at once (bounded memory). */
export const BUSINESS_EVENTS_MAX_IN_FLIGHT = 10_000;
/** At most one warning per reason this often; it says how many events were lost since the last. */
export const BUSINESS_LOSS_LOG_INTERVAL_MS = 10_000;
/** The loss reason of an event refused because BUSINESS_EVENTS_MAX_IN_FLIGHT wait already. */
export const IN_FLIGHT_LIMIT = 'IN_FLIGHT_LIMIT';

export interface BrokerBusinessEventsOptions {
  maxInFlight?: number;
  logIntervalMs?: number;
}

/**
 * BusinessEvents over the brokers. Each event goes as a call (business.receipt is idempotent),
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

  receipt(event: BusinessReceipt): void {
    const contract = BusinessRpc.receipt;
    if (this.inFlight >= this.maxInFlight) {
      this.lost(contract.pattern, IN_FLIGHT_LIMIT, `${this.maxInFlight} events already wait for an answer`);
      return;
    }
    this.inFlight += 1;
    this.client.rpc
      .call(contract.pattern, event, { timeoutMs: contract.timeoutMs, idempotent: contract.idempotent })
      .then(
        () => this.metrics.businessEvent(contract.pattern, 'delivered'),
        (error: unknown) => {
          const rpcError = RpcError.from(error);
          this.lost(contract.pattern, rpcError.code, rpcError.message);
        },
      )
      .finally(() => {
        this.inFlight -= 1;
      });
  }

  private lost(pattern: string, reason: string, message: string): void {
    this.metrics.businessEvent(pattern, 'lost', reason);
    this.losses.note(pattern, reason, message);
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

  note(pattern: string, reason: string, message: string): void {
    const key = `${pattern} ${reason}`;
    const now = performance.now();
    const last = this.lastLoggedAt.get(key);
    if (last !== undefined && now - last < this.intervalMs) {
      this.unlogged.set(key, (this.unlogged.get(key) ?? 0) + 1);
      return;
    }
    const since = this.unlogged.get(key) ?? 0;
    this.unlogged.delete(key);
    this.lastLoggedAt.set(key, now);
    this.logger.warn(
      `${pattern} lost (${reason}: ${message})` +
        (since > 0 ? `; ${since} more lost for the same reason since the last warning` : ''),
    );
  }
}
