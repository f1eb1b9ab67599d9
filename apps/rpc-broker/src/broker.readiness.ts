import type { ReadinessIndicator } from '@live-im/health';
import { Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { BrokerService } from './broker.service';

/** Ready once both ROUTER sockets are bound and read. */
@Injectable()
export class BrokerReadiness implements ReadinessIndicator {
  constructor(
    private readonly brokerService: BrokerService,
    private readonly indicators: HealthIndicatorService,
  ) {}

  async check(): Promise<HealthIndicatorResult> {
    const { broker } = this.brokerService;
    const indicator = this.indicators.check('rpc-broker');
    const endpoints = { frontend: broker.frontendEndpoint, backend: broker.backendEndpoint };
    return broker.isRunning ? indicator.up(endpoints) : indicator.down(endpoints);
  }
}
