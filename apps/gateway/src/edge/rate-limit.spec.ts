import { ErrorCode, RpcError } from '@live-im/contracts';
import { consumeOrReject, perSecondLimiter } from './rate-limit';

describe('consumeOrReject', () => {
  it('lets `points` through per key per second, then rejects RATE_LIMITED with the wait', async () => {
    const limiter = perSecondLimiter(2, 'test');
    await consumeOrReject(limiter, 'a', 'joins');
    await consumeOrReject(limiter, 'a', 'joins');
    await consumeOrReject(limiter, 'b', 'joins');
    const error = await consumeOrReject(limiter, 'a', 'joins').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RpcError);
    expect((error as RpcError).code).toBe(ErrorCode.RATE_LIMITED);
    expect((error as RpcError).message).toContain('joins');
    expect((error as RpcError).details?.['retryAfterMs']).toEqual(expect.any(Number));
  });
});
