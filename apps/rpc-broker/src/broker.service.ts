import { loadBusSecurity } from '@live-im/config';
import { createLogger } from '@live-im/logging';
import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Broker, type BrokerStats } from './broker';
import { BROKER_CONFIG, type BrokerConfig } from './broker-config';
import { BrokerMetrics } from './broker-metrics';

/** Runs the Broker for the Nest app: binds on bootstrap (a failed bind fails the boot), closes on shutdown. */
@Injectable()
export class BrokerService implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly broker: Broker;
  private readonly drainSettleMs: number;
  private readonly drainMaxMs: number;

  constructor(@Inject(BROKER_CONFIG) config: BrokerConfig, metrics: BrokerMetrics) {
    this.broker = new Broker({
      frontendBind: config.RPC_FRONTEND_BIND,
      backendBind: config.RPC_BACKEND_BIND,
      brokerId: config.BROKER_ID,
      heartbeatMs: config.HEARTBEAT_MS,
      serviceGraceMs: config.SERVICE_GRACE_MS,
      maxQueue: config.MAX_QUEUE,
      maxQueuedBytes: config.MAX_QUEUED_BYTES,
      maxBodyBytes: config.MAX_BODY_BYTES,
      security: loadBusSecurity(config),
      // The core logs outside Nest's DI, in the same JSON format.
      logger: createLogger({ app: 'rpc-broker', level: config.LOG_LEVEL, instance: config.BROKER_ID }),
      hooks: { onDispatch: (residenceMs) => metrics.observeDispatch(residenceMs) },
    });
    metrics.track(this.broker);
    // Requests sent just before a client heard CLOSING arrive within a heartbeat at the latest.
    this.drainSettleMs = config.HEARTBEAT_MS;
    this.drainMaxMs = config.DRAIN_TIMEOUT_MS;
  }

  onApplicationBootstrap(): Promise<void> {
    return this.broker.start();
  }

  /** Drains first (clients move their new calls to the other brokers), then closes. */
  onApplicationShutdown(): Promise<void> {
    return this.broker.drainAndClose({ settleMs: this.drainSettleMs, maxWaitMs: this.drainMaxMs });
  }

  get isRunning(): boolean {
    return this.broker.isRunning;
  }

  stats(): BrokerStats {
    return this.broker.stats();
  }
}
