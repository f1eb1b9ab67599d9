import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { ReadinessIndicator, withTimeout } from '@live-im/health';
import type { RedisClient } from './redis-client';
import { REDIS } from './redis.tokens';

@Injectable()
export class RedisHealthIndicator implements ReadinessIndicator {
  constructor(
    @Inject(REDIS) private readonly redis: RedisClient,
    private readonly indicators: HealthIndicatorService,
  ) {}

  async check(): Promise<HealthIndicatorResult> {
    const session = this.indicators.check('redis');
    const started = Date.now();
    try {
      await withTimeout(this.redis.ping(), 1000, 'redis');
      return session.up({ latencyMs: Date.now() - started });
    } catch (error) {
      return session.down({ message: error instanceof Error ? error.message : 'unreachable' });
    }
  }
}
