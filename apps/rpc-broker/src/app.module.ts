import { HealthModule } from '@live-im/health';
import { LoggingModule } from '@live-im/logging';
import { DynamicModule, Global, Module } from '@nestjs/common';
import { BROKER_CONFIG, type BrokerConfig } from './broker-config';
import { BrokerMetrics } from './broker-metrics';
import { BrokerReadiness } from './broker.readiness';
import { BrokerService } from './broker.service';
import { StatsController } from './stats.controller';

/** The broker and its config, global so the health module's readiness indicator can see it. */
@Global()
@Module({})
export class BrokerModule {
  static forRoot(config: BrokerConfig): DynamicModule {
    return {
      module: BrokerModule,
      controllers: [StatsController],
      providers: [{ provide: BROKER_CONFIG, useValue: config }, BrokerMetrics, BrokerService],
      exports: [BrokerService],
    };
  }
}

@Module({})
export class AppModule {
  static forRoot(config: BrokerConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        LoggingModule.forRoot({ app: 'rpc-broker', level: config.LOG_LEVEL, instance: config.BROKER_ID }),
        BrokerModule.forRoot(config),
        HealthModule.forRoot({ readiness: [BrokerReadiness], providers: [BrokerReadiness] }),
      ],
    };
  }
}
