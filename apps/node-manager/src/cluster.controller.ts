import type { ClusterSeries } from '@live-im/contracts';
import { AdminRoutes } from '@live-im/health';
import { Controller, Get } from '@nestjs/common';
import type { ClusterView } from './membership';
import { NodeManagerService } from './node-manager.service';

/** The manager's view of the cluster, for operators and dashboards. */
@AdminRoutes()
@Controller('cluster')
export class ClusterController {
  constructor(private readonly service: NodeManagerService) {}

  @Get()
  cluster(): ClusterView {
    return this.service.cluster();
  }

  /** The last minutes of message rates per lane and viewers, one sample a second, for the dashboard's charts. */
  @Get('series')
  series(): ClusterSeries {
    return this.service.series();
  }
}
