import type { ReadinessIndicator } from '@live-im/health';
import { Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { NodeManagerService } from './node-manager.service';

/** Ready once the ROUTER and the PUB socket are bound and the ROUTER is read. */
@Injectable()
export class NodeManagerReadiness implements ReadinessIndicator {
  constructor(
    private readonly service: NodeManagerService,
    private readonly indicators: HealthIndicatorService,
  ) {}

  async check(): Promise<HealthIndicatorResult> {
    const { manager } = this.service;
    const indicator = this.indicators.check('node-manager');
    const endpoints = { router: manager.routerEndpoint, pub: manager.pubEndpoint };
    return manager.isRunning ? indicator.up(endpoints) : indicator.down(endpoints);
  }
}
