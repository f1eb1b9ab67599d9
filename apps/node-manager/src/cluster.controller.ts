import { Controller, Get } from '@nestjs/common';
import type { ClusterView } from './membership';
import { NodeManagerService } from './node-manager.service';

/** The manager's view of the cluster, for operators and dashboards. */
@Controller('cluster')
export class ClusterController {
  constructor(private readonly service: NodeManagerService) {}

  @Get()
  cluster(): ClusterView {
    return this.service.cluster();
  }
}
