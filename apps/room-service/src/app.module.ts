import { DynamicModule, Logger, Module } from '@nestjs/common';
import { resolveBusSecurity } from '@live-im/config';
import { HealthModule } from '@live-im/health';
import { LoggingModule } from '@live-im/logging';
import { RedisHealthIndicator, RedisModule } from '@live-im/redis';
import { provideBrokerProbe, ZmqHealthIndicator, ZmqRpcModule, ZmqServer } from '@live-im/zmq-transport';
import { AggregationModule } from './aggregation/aggregation.module';
import { RoomServiceConfig } from './config';
import { RoomConfigModule } from './core/room-config.module';
import { LikesModule } from './likes/likes.module';
import { MessagesModule } from './messages/messages.module';
import { ModerationModule } from './moderation/moderation.module';
import { ReceiptsModule } from './receipts/receipts.module';
import { RoomsModule } from './rooms/rooms.module';

@Module({})
export class AppModule {
  /** The server is built before the app so that readiness can probe the very links it serves on. */
  static forRoot(config: RoomServiceConfig, server: ZmqServer): DynamicModule {
    return {
      module: AppModule,
      imports: [
        LoggingModule.forRoot({ app: 'room-service', level: config.LOG_LEVEL, instance: config.INSTANCE_ID }),
        RedisModule.forRoot(config),
        // Readiness probes the worker's own broker links (provided here), not the client's below.
        HealthModule.forRoot({
          readiness: [RedisHealthIndicator, ZmqHealthIndicator],
          providers: [provideBrokerProbe(server), ZmqHealthIndicator],
        }),
        // The caller side, for the business.receipt events this service emits.
        ZmqRpcModule.forRoot({
          brokers: config.RPC_BROKER_FRONTENDS,
          heartbeatMs: config.HEARTBEAT_MS,
          logger: new Logger('RpcClient'),
          security: resolveBusSecurity(config),
        }),
        RoomConfigModule.forRoot(config),
        RoomsModule,
        MessagesModule,
        LikesModule,
        ModerationModule,
        ReceiptsModule,
        AggregationModule,
      ],
    };
  }
}
