import { DynamicModule, Module, Provider, Type } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { collectDefaultMetrics, register } from 'prom-client';
import { HealthController } from './health.controller';
import { READINESS_INDICATORS, ReadinessIndicator } from './readiness-indicator';

export interface HealthModuleOptions {
  /** Checked by /health/ready, in order. */
  readiness: Type<ReadinessIndicator>[];
  /** Providers the indicators need that no global module offers (e.g. a broker probe). */
  providers?: Provider[];
}

let defaultMetricsOn = false;

/** /health/live, /health/ready (terminus) and /metrics (prom-client's default registry), admin routes. */
@Module({})
export class HealthModule {
  static forRoot(options: HealthModuleOptions): DynamicModule {
    if (!defaultMetricsOn) {
      // Process metrics include nodejs_eventloop_lag_seconds, heap and GC figures.
      collectDefaultMetrics({ register });
      defaultMetricsOn = true;
    }
    return {
      module: HealthModule,
      imports: [TerminusModule.forRoot({ logger: false })],
      controllers: [HealthController],
      providers: [
        ...(options.providers ?? []),
        {
          provide: READINESS_INDICATORS,
          useFactory: (...indicators: ReadinessIndicator[]) => indicators,
          inject: options.readiness,
        },
      ],
    };
  }
}
