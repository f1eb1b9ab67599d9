import { DynamicModule, Module } from '@nestjs/common';
import { HealthModule } from '@live-im/health';
import { LoggingModule } from '@live-im/logging';
import { RedisHealthIndicator, RedisModule } from '@live-im/redis';
import { provideBrokerProbe, ZmqHealthIndicator, ZmqServer } from '@live-im/zmq-transport';
import { UserServiceConfig } from './config';
import { UsersModule } from './users/users.module';

@Module({})
export class AppModule {
  /** The server is built before the app so that readiness can probe the very links it serves on. */
  static forRoot(config: UserServiceConfig, server: ZmqServer): DynamicModule {
    return {
      module: AppModule,
      imports: [
        LoggingModule.forRoot({ app: 'user-service', level: config.LOG_LEVEL, instance: config.INSTANCE_ID }),
        RedisModule.forRoot(config),
        HealthModule.forRoot({
          readiness: [RedisHealthIndicator, ZmqHealthIndicator],
          providers: [provideBrokerProbe(server), ZmqHealthIndicator],
        }),
        UsersModule.forRoot({ secret: config.JWT_SECRET, ttlSec: config.JWT_TTL_SEC }),
      ],
    };
  }
}
