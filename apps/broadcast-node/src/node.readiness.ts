import type { ReadinessIndicator } from '@live-im/health';
import { Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { BroadcastNodeService } from './broadcast-node.service';

/** Ready once the node's sockets are bound and read. */
@Injectable()
export class NodeReadiness implements ReadinessIndicator {
  constructor(
    private readonly nodeService: BroadcastNodeService,
    private readonly indicators: HealthIndicatorService,
  ) {}

  async check(): Promise<HealthIndicatorResult> {
    const { node } = this.nodeService;
    const indicator = this.indicators.check('broadcast-node');
    const details = { kind: node.kind, pull: node.pullEndpoint, pub: node.pubEndpoint };
    return node.isRunning ? indicator.up(details) : indicator.down(details);
  }
}
