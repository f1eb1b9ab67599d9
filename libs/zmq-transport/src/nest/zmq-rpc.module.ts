import type { BusSecurity } from '@live-im/config';
import {
  DynamicModule,
  Global,
  Logger,
  LoggerService,
  Module,
  OnApplicationShutdown,
  Provider,
} from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { RpcContract } from '@live-im/contracts';
import { BROKER_PROBE } from '../health/broker-probe';
import { ZmqHealthIndicator } from '../health/zmq.health';
import { RpcCaller } from './rpc-caller';
import { ZmqClient } from './zmq.client';

export interface ZmqRpcModuleOptions {
  /** Broker frontend endpoints. */
  brokers: string[];
  heartbeatMs?: number;
  /** Deadline of patterns without a contract. */
  defaultTimeoutMs?: number;
  /** Default RPC_CONTRACTS. */
  contracts?: ReadonlyMap<string, RpcContract>;
  logger?: LoggerService;
  /** CURVE towards the brokers; plain when absent or off. */
  security?: BusSecurity;
}

/**
 * The caller side for an app: one ZmqClient (connected at boot, closed on shutdown), RpcCaller
 * for typed calls, and ZmqHealthIndicator bound to the client for readiness.
 */
@Global()
@Module({})
export class ZmqRpcModule implements OnApplicationShutdown {
  constructor(private readonly client: ZmqClient) {}

  static forRoot(options: ZmqRpcModuleOptions): DynamicModule {
    const providers: Provider[] = [
      {
        provide: ZmqClient,
        useFactory: async (): Promise<ZmqClient> => {
          const client = new ZmqClient({
            brokers: options.brokers,
            heartbeatMs: options.heartbeatMs,
            defaultTimeoutMs: options.defaultTimeoutMs,
            contracts: options.contracts,
            logger: options.logger ?? new Logger(ZmqClient.name),
            security: options.security,
          });
          await client.connect();
          return client;
        },
      },
      RpcCaller,
      { provide: BROKER_PROBE, useExisting: ZmqClient },
      // Stateless; provided here so the indicator works without TerminusModule in scope.
      HealthIndicatorService,
      ZmqHealthIndicator,
    ];
    return {
      module: ZmqRpcModule,
      global: true,
      providers,
      exports: [ZmqClient, RpcCaller, BROKER_PROBE, ZmqHealthIndicator],
    };
  }

  // After the app's servers closed: a worker draining its last requests may still call out.
  async onApplicationShutdown(): Promise<void> {
    await this.client.close();
  }
}
