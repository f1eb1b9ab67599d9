import { loadBusSecurity } from '@live-im/config';
import type { ClusterSeries } from '@live-im/contracts';
import { createLogger } from '@live-im/logging';
import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { NODE_MANAGER_CONFIG, type NodeManagerConfig } from './manager-config';
import { NodeManagerMetrics } from './manager-metrics';
import { NodeManager, type ClusterView } from './membership';

/** Runs the NodeManager for the Nest app: binds on bootstrap (a failed bind fails the boot), closes on shutdown. */
@Injectable()
export class NodeManagerService implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly manager: NodeManager;

  constructor(@Inject(NODE_MANAGER_CONFIG) config: NodeManagerConfig, metrics: NodeManagerMetrics) {
    this.manager = new NodeManager({
      routerBind: config.NM_ROUTER_BIND,
      pubBind: config.NM_PUB_BIND,
      managerId: config.INSTANCE_ID,
      heartbeatMs: config.HEARTBEAT_MS,
      deadAfterMs: config.DEAD_AFTER_MS,
      activateTimeoutMs: config.ACTIVATE_TIMEOUT_MS,
      security: loadBusSecurity(config),
      // The core logs outside Nest's DI, in the same JSON format.
      logger: createLogger({ app: 'node-manager', level: config.LOG_LEVEL, instance: config.INSTANCE_ID }),
    });
    metrics.track(this.manager);
  }

  onApplicationBootstrap(): Promise<void> {
    return this.manager.start();
  }

  onApplicationShutdown(): Promise<void> {
    return this.manager.close();
  }

  cluster(): ClusterView {
    return this.manager.cluster();
  }

  series(): ClusterSeries {
    return this.manager.series();
  }
}
