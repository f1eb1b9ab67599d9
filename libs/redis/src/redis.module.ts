import { DynamicModule, Global, Inject, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { HealthIndicatorService } from '@nestjs/terminus';
import { RedisUnavailableInterceptor } from './redis-unavailable.interceptor';
import { RedisHealthIndicator } from './redis.health';
import { RedisKeys } from './redis-keys';
import { createRedisClient, type RedisClient } from './redis-client';
import { timeRedisCommands } from './redis-command-metrics';
import { describeRedisTarget } from './redis-target';
import type { ReplicaAcks } from './lua-script';
import { importantReplicaAcks, redisTargetOf } from './redis.env';
import { IMPORTANT_REPLICA_ACKS, REDIS, REDIS_OPTIONS, RedisModuleOptions } from './redis.tokens';

@Global()
@Module({})
export class RedisModule implements OnApplicationShutdown {
  constructor(@Inject(REDIS) private readonly redis: RedisClient) {}

  /** The app's Redis from its validated environment: REDIS_CLUSTER_NODES when set, else REDIS_URL. */
  static forRoot(options: RedisModuleOptions): DynamicModule {
    const target = redisTargetOf(options);
    return {
      module: RedisModule,
      providers: [
        { provide: REDIS_OPTIONS, useValue: options },
        {
          provide: REDIS,
          useFactory: () => {
            new Logger(RedisModule.name).log(`using ${describeRedisTarget(target)}`);
            // Every command of the app's client feeds redis_command_duration_seconds (/metrics).
            return timeRedisCommands(createRedisClient(target));
          },
        },
        { provide: IMPORTANT_REPLICA_ACKS, useValue: importantReplicaAcks(options) satisfies ReplicaAcks },
        { provide: RedisKeys, useValue: new RedisKeys(options.REDIS_KEY_PREFIX) },
        HealthIndicatorService,
        RedisHealthIndicator,
        { provide: APP_INTERCEPTOR, useClass: RedisUnavailableInterceptor },
      ],
      exports: [REDIS, IMPORTANT_REPLICA_ACKS, RedisKeys, RedisHealthIndicator],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
