import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { catchError, Observable, throwError } from 'rxjs';
import { isRedisUnavailable, redisUnavailable } from './redis-client';

/**
 * Turns a Redis outage that reaches a handler (a failover, a node down, a timeout: see
 * isRedisUnavailable) into SERVICE_UNAVAILABLE, so a caller learns to retry rather than read
 * INTERNAL. At the handler, not per command: ioredis rejects from several places (commands,
 * pipelines, a cluster client's retries), and every one of them ends here. RedisModule installs it
 * for the whole app.
 */
@Injectable()
export class RedisUnavailableInterceptor implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next
      .handle()
      .pipe(
        catchError((error: unknown) =>
          throwError(() =>
            error instanceof Error && isRedisUnavailable(error) ? redisUnavailable(error) : error,
          ),
        ),
      );
  }
}
