import { ErrorCode, RpcError } from '@live-im/contracts';
import { REDIS } from '@live-im/redis';
import { Inject, Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import type { IncomingMessage } from 'node:http';
import { RateLimiterMemory, RateLimiterRedis, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config';
import { clientAddress } from '../edge/client-address';
import { consumeOrReject, perSecondLimiter } from '../edge/rate-limit';
import { HttpEdgeMetrics } from './http-edge-metrics';

/** Failed logins of an account are counted over this window. */
const FAILURE_WINDOW_S = 3600;
/** The first lock past the free failures; each further failure doubles it, up to LOGIN_LOCK_MAX_MS. */
const FIRST_LOCK_MS = 1000;

/**
 * The limits of the public auth routes (register, login, guest):
 * - per client address, a rate (AUTH_PER_IP_PER_SEC), checked before the body is parsed;
 * - per account, failed logins: LOGIN_FREE_FAILURES wrong passwords an hour cost nothing, each one
 *   after locks the account's login for twice as long as the one before (1 s, 2 s, 4 s ... up to
 *   LOGIN_LOCK_MAX_MS), whatever address the tries come from. The counts live in Redis, so every
 *   gateway sees them (in this process's memory while Redis does not answer).
 */
@Injectable()
export class AuthLimits {
  private readonly perAddress: RateLimiterMemory;
  private readonly failures: RateLimiterAbstract;
  private readonly locks: RateLimiterAbstract;

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(REDIS) redis: Redis,
    private readonly metrics: HttpEdgeMetrics,
  ) {
    this.perAddress = perSecondLimiter(config.AUTH_PER_IP_PER_SEC, 'auth');
    // Failures are only counted (the count sets the lock), so the points never run out.
    const counting = { points: Number.MAX_SAFE_INTEGER, duration: FAILURE_WINDOW_S };
    this.failures = new RateLimiterRedis({
      storeClient: redis,
      keyPrefix: 'login-failures',
      ...counting,
      insuranceLimiter: new RateLimiterMemory({ keyPrefix: 'login-failures', ...counting }),
    });
    const locking = { points: 1, duration: Math.ceil(config.LOGIN_LOCK_MAX_MS / 1000) };
    this.locks = new RateLimiterRedis({
      storeClient: redis,
      keyPrefix: 'login-lock',
      ...locking,
      insuranceLimiter: new RateLimiterMemory({ keyPrefix: 'login-lock', ...locking }),
    });
  }

  /** Per client address; RATE_LIMITED past AUTH_PER_IP_PER_SEC. */
  async checkAddress(request: IncomingMessage): Promise<void> {
    const address = clientAddress(
      request.socket.remoteAddress,
      request.headers['x-forwarded-for'],
      this.config.TRUST_PROXY,
    );
    try {
      await consumeOrReject(this.perAddress, address, 'auth requests from this address');
    } catch (error) {
      this.metrics.limited('address');
      throw error;
    }
  }

  /** Before a login's password is checked: RATE_LIMITED while the account is locked. */
  async checkAccount(username: string): Promise<void> {
    const lock = await this.locks.get(accountKey(username));
    if (lock !== null && lock.consumedPoints > 1 && lock.msBeforeNext > 0) {
      this.metrics.limited('account');
      throw new RpcError(
        ErrorCode.RATE_LIMITED,
        `too many failed logins for this account; retry in ${lock.msBeforeNext} ms`,
        { retryAfterMs: lock.msBeforeNext },
      );
    }
  }

  /** A wrong password: counted, and past the free failures the account is locked for longer. */
  async loginFailed(username: string): Promise<void> {
    const key = accountKey(username);
    const counted = await this.failures.penalty(key, 1);
    const over = counted.consumedPoints - this.config.LOGIN_FREE_FAILURES;
    if (over <= 0) return;
    const lockMs = Math.min(this.config.LOGIN_LOCK_MAX_MS, FIRST_LOCK_MS * 2 ** Math.min(over - 1, 30));
    await this.locks.block(key, Math.ceil(lockMs / 1000));
  }

  /** The right password: the account's failures are forgotten. */
  async loginSucceeded(username: string): Promise<void> {
    await this.failures.delete(accountKey(username));
  }
}

/** Usernames differ only in case at most: one count for all their spellings. */
function accountKey(username: string): string {
  return username.toLowerCase();
}
