import { HealthModule } from '@live-im/health';
import { LoggingModule } from '@live-im/logging';
import { DynamicModule, Global, Module } from '@nestjs/common';
import { BroadcastNodeService } from './broadcast-node.service';
import { NODE_CONFIG, nodeIdOf, type NodeConfig } from './node-config';
import { NodeMetrics } from './node-metrics';
import { NodeReadiness } from './node.readiness';

/** The node and its config, global so the health module's readiness indicator can see it. */
@Global()
@Module({})
export class BroadcastNodeModule {
  static forRoot(config: NodeConfig): DynamicModule {
    return {
      module: BroadcastNodeModule,
      providers: [{ provide: NODE_CONFIG, useValue: config }, NodeMetrics, BroadcastNodeService],
      exports: [BroadcastNodeService],
    };
  }
}

@Module({})
export class AppModule {
  static forRoot(config: NodeConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        LoggingModule.forRoot({ app: 'broadcast-node', level: config.LOG_LEVEL, instance: nodeIdOf(config) }),
        BroadcastNodeModule.forRoot(config),
        HealthModule.forRoot({ readiness: [NodeReadiness], providers: [NodeReadiness] }),
      ],
    };
  }
}
