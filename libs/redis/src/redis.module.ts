import { DynamicModule, Global, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import Redis from 'ioredis';
import { RedisHealthIndicator } from './redis.health';
import { RedisKeys } from './redis-keys';
import { timeRedisCommands } from './redis-command-metrics';
import { REDIS, REDIS_OPTIONS, RedisModuleOptions } from './redis.tokens';

export function createRedisClient(url: string): Redis {
  return new Redis(url, {
    // Fail commands fast while disconnected instead of queueing them without bound.
    maxRetriesPerRequest: 2,
    enableOfflineQueue: true,
    retryStrategy: (attempt) => Math.min(attempt * 100, 2000),
    lazyConnect: false,
    // Commands issued in the same tick leave in one socket write: a room send's two rate-limit
    // calls, and the sends of every request that arrived in one RPC batch. On loopback each write
    // is a syscall that also runs Redis's side of TCP, the biggest per-command cost measured.
    enableAutoPipelining: true,
  });
}

@Global()
@Module({})
export class RedisModule implements OnApplicationShutdown {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  static forRoot(options: RedisModuleOptions): DynamicModule {
    return {
      module: RedisModule,
      providers: [
        { provide: REDIS_OPTIONS, useValue: options },
        // Every command of the app's client feeds redis_command_duration_seconds (/metrics).
        { provide: REDIS, useFactory: () => timeRedisCommands(createRedisClient(options.url)) },
        { provide: RedisKeys, useValue: new RedisKeys(options.keyPrefix) },
        HealthIndicatorService,
        RedisHealthIndicator,
      ],
      exports: [REDIS, RedisKeys, RedisHealthIndicator],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
