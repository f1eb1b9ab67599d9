import { ErrorCode, RpcError } from '@live-im/contracts';
import type { CallHandler, ExecutionContext } from '@nestjs/common';
import { lastValueFrom, throwError } from 'rxjs';
import { isRedisUnavailable } from './redis-client';
import { RedisUnavailableInterceptor } from './redis-unavailable.interceptor';

const failing = (error: unknown): CallHandler => ({ handle: () => throwError(() => error) });
const context = {} as ExecutionContext;

describe('RedisUnavailableInterceptor', () => {
  it.each([
    'Connection is closed.',
    'CLUSTERDOWN The cluster is down',
    'CLUSTERDOWN Hash slot not served',
    'TRYAGAIN Multiple keys request during rehashing of slot',
    'LOADING Redis is loading the dataset in memory',
    "READONLY You can't write against a read only replica.",
    'Too many Cluster redirections. Last error: ReplyError: MOVED 1 127.0.0.1:7000',
    "Cluster isn't ready and enableOfflineQueue options is false",
    'Command timed out',
    'connect ECONNREFUSED 127.0.0.1:7000',
  ])('answers SERVICE_UNAVAILABLE for "%s"', async (message) => {
    expect(isRedisUnavailable(new Error(message))).toBe(true);
    const error = await lastValueFrom(
      new RedisUnavailableInterceptor().intercept(context, failing(new Error(message))),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RpcError);
    expect(error).toMatchObject({ code: ErrorCode.SERVICE_UNAVAILABLE, details: { reason: 'redis' } });
  });

  it('passes every other error on unchanged: a script bug stays INTERNAL, an RpcError keeps its code', async () => {
    for (const original of [
      new Error('WRONGTYPE Operation against a key holding the wrong kind of value'),
      new Error('ERR user_script:1: Script attempted to access a non local key in a cluster node'),
      new RpcError(ErrorCode.NOT_FOUND, 'no room r1'),
    ]) {
      const error = await lastValueFrom(
        new RedisUnavailableInterceptor().intercept(context, failing(original)),
      ).catch((e: unknown) => e);
      expect(error).toBe(original);
    }
  });
});
