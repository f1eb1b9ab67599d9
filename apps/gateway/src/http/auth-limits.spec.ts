import { ErrorCode, RpcError } from '@live-im/contracts';
import { deleteKeysWithPrefix, testRedisUrl, uniqueKeyPrefix, waitFor } from '@live-im/testing';
import Redis from 'ioredis';
import type { IncomingMessage } from 'node:http';
import type { GatewayConfig } from '../config';
import { AuthLimits } from './auth-limits';
import { HttpEdgeMetrics } from './http-edge-metrics';

const config = {
  AUTH_PER_IP_PER_SEC: 3,
  LOGIN_FREE_FAILURES: 2,
  LOGIN_LOCK_MAX_MS: 60_000,
  TRUST_PROXY: false,
} as GatewayConfig;

/** The lock `checkAccount` reports, in ms (0 when the account is not locked). */
async function lockMs(limits: AuthLimits, username: string): Promise<number> {
  try {
    await limits.checkAccount(username);
    return 0;
  } catch (error) {
    if (!(error instanceof RpcError) || error.code !== ErrorCode.RATE_LIMITED) throw error;
    return (error.details as { retryAfterMs: number }).retryAfterMs;
  }
}

describe('AuthLimits (real Redis)', () => {
  const prefix = uniqueKeyPrefix('test:auth-limits');
  let redis: Redis;
  let limits: AuthLimits;

  beforeAll(() => {
    redis = new Redis(testRedisUrl(), { keyPrefix: prefix });
    limits = new AuthLimits(config, redis, new HttpEdgeMetrics());
  });

  afterAll(async () => {
    redis.disconnect();
    await deleteKeysWithPrefix(prefix);
  });

  it('lets the free failures pass, then locks for 1 s, then twice as long', async () => {
    await limits.loginFailed('Victim');
    await limits.loginFailed('victim');
    expect(await lockMs(limits, 'victim')).toBe(0);

    await limits.loginFailed('VICTIM');
    const first = await lockMs(limits, 'victim');
    expect(first).toBeGreaterThan(0);
    expect(first).toBeLessThanOrEqual(1000);
    expect(await lockMs(limits, 'someone_else')).toBe(0);

    await waitFor(async () => (await lockMs(limits, 'victim')) === 0, { what: 'the first lock to end' });
    await limits.loginFailed('victim');
    const second = await lockMs(limits, 'victim');
    expect(second).toBeGreaterThan(1000);
    expect(second).toBeLessThanOrEqual(2000);
  });

  it('forgets an account’s failures after the right password', async () => {
    await limits.loginFailed('forgetful');
    await limits.loginFailed('forgetful');
    await limits.loginSucceeded('forgetful');
    await limits.loginFailed('forgetful');
    expect(await lockMs(limits, 'forgetful')).toBe(0);
  });

  it('limits one address per second', async () => {
    const request = { socket: { remoteAddress: '10.1.2.3' }, headers: {} } as unknown as IncomingMessage;
    for (let i = 0; i < config.AUTH_PER_IP_PER_SEC; i += 1) await limits.checkAddress(request);
    await expect(limits.checkAddress(request)).rejects.toMatchObject({ code: ErrorCode.RATE_LIMITED });
  });
});
