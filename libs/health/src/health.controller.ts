import {
  BeforeApplicationShutdown,
  Controller,
  Get,
  Header,
  Inject,
  ServiceUnavailableException,
} from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { register } from 'prom-client';
import { AdminRoutes } from './admin-routes';
import { READINESS_INDICATORS, ReadinessIndicator } from './readiness-indicator';

/** Served on the admin listener only: orchestrators and Prometheus reach it, the public never does. */
@AdminRoutes()
@Controller()
export class HealthController implements BeforeApplicationShutdown {
  private shuttingDown = false;

  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    @Inject(READINESS_INDICATORS) private readonly readiness: ReadinessIndicator[],
  ) {}

  /** Liveness: the process and its event loop answer. Dependencies are not checked here, so a
   * Redis outage makes pods unready, never restarts them all. */
  @Get('health/live')
  @HealthCheck()
  live() {
    return this.health.check([
      async () => this.indicators.check('process').up({ uptimeSec: Math.round(process.uptime()) }),
    ]);
  }

  /** Readiness: every dependency answers, and the app is not shutting down. */
  @Get('health/ready')
  @HealthCheck()
  ready() {
    if (this.shuttingDown)
      throw new ServiceUnavailableException({ status: 'error', reason: 'shutting down' });
    return this.health.check(this.readiness.map((indicator) => () => indicator.check()));
  }

  @Get('metrics')
  @Header('Content-Type', register.contentType)
  metrics(): Promise<string> {
    return register.metrics();
  }

  beforeApplicationShutdown(): void {
    this.shuttingDown = true;
  }
}
