import { AdminRoutes } from '@live-im/health';
import { Controller, Get } from '@nestjs/common';
import type { BrokerStats } from './broker';
import { BrokerService } from './broker.service';

/** The STATS_REPLY body over HTTP, for dashboards and curl. */
@AdminRoutes()
@Controller('stats')
export class StatsController {
  constructor(private readonly brokerService: BrokerService) {}

  @Get()
  stats(): BrokerStats {
    return this.brokerService.stats();
  }
}
