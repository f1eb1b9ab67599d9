import { DynamicModule, Module } from '@nestjs/common';
import { HealthModule } from '@live-im/health';
import { LoggingModule } from '@live-im/logging';
import { RedisHealthIndicator, RedisModule } from '@live-im/redis';
import { provideBrokerProbe, ZmqHealthIndicator, ZmqServer } from '@live-im/zmq-transport';
import { RoomServiceConfig } from './config';
import { RoomsModule } from './rooms/rooms.module';

@Module({})
export class AppModule {
  /** The server is built before the app so that readiness can probe the very links it serves on. */
  static forRoot(config: RoomServiceConfig, server: ZmqServer): DynamicModule {
    return {
      module: AppModule,
      imports: [
        LoggingModule.forRoot({ app: 'room-service', level: config.LOG_LEVEL, instance: config.INSTANCE_ID }),
        RedisModule.forRoot({ url: config.REDIS_URL, keyPrefix: config.REDIS_KEY_PREFIX }),
        HealthModule.forRoot({
          readiness: [RedisHealthIndicator, ZmqHealthIndicator],
          providers: [provideBrokerProbe(server), ZmqHealthIndicator],
        }),
        RoomsModule,
      ],
    };
  }
}
