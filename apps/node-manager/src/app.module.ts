import { HealthModule } from '@live-im/health';
import { LoggingModule } from '@live-im/logging';
import { DynamicModule, Global, Module } from '@nestjs/common';
import { ClusterController } from './cluster.controller';
import { NODE_MANAGER_CONFIG, type NodeManagerConfig } from './manager-config';
import { NodeManagerMetrics } from './manager-metrics';
import { NodeManagerReadiness } from './node-manager.readiness';
import { NodeManagerService } from './node-manager.service';

/** The manager and its config, global so the health module's readiness indicator can see it. */
@Global()
@Module({})
export class NodeManagerModule {
  static forRoot(config: NodeManagerConfig): DynamicModule {
    return {
      module: NodeManagerModule,
      controllers: [ClusterController],
      providers: [{ provide: NODE_MANAGER_CONFIG, useValue: config }, NodeManagerMetrics, NodeManagerService],
      exports: [NodeManagerService],
    };
  }
}

@Module({})
export class AppModule {
  static forRoot(config: NodeManagerConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        LoggingModule.forRoot({ app: 'node-manager', level: config.LOG_LEVEL, instance: config.INSTANCE_ID }),
        NodeManagerModule.forRoot(config),
        HealthModule.forRoot({ readiness: [NodeManagerReadiness], providers: [NodeManagerReadiness] }),
      ],
    };
  }
}
