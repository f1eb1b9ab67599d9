import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import type { RateLimiterMemory } from 'rate-limiter-flexible';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config';
import { clientAddress } from '../edge/client-address';
import { consumeOrReject, perSecondLimiter } from '../edge/rate-limit';

/** Public auth routes cost a password hash or a token: limited per client address (429 RATE_LIMITED). */
@Injectable()
export class AuthRateGuard implements CanActivate {
  private readonly limiter: RateLimiterMemory;

  constructor(@Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig) {
    this.limiter = perSecondLimiter(config.AUTH_PER_IP_PER_SEC, 'auth');
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<IncomingMessage>();
    const address = clientAddress(
      request.socket.remoteAddress,
      request.headers['x-forwarded-for'],
      this.config.TRUST_PROXY,
    );
    await consumeOrReject(this.limiter, address, 'auth requests from this address');
    return true;
  }
}
