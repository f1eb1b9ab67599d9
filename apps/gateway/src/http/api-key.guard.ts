import { ErrorCode, RpcError } from '@live-im/contracts';
import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config';

export const API_KEY_HEADER = 'x-api-key';

/**
 * Compares a presented key with the configured one in constant time. Both sides are hashed first,
 * so neither the comparison nor an early length check tells an attacker anything about the key.
 */
export class ApiKeyVerifier {
  private readonly expected: Buffer;

  constructor(apiKey: string) {
    this.expected = digest(apiKey);
  }

  matches(presented: unknown): boolean {
    if (typeof presented !== 'string' || presented.length === 0) return false;
    return timingSafeEqual(digest(presented), this.expected);
  }
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** The business and admin API: header `x-api-key` must carry API_KEY, else 401 UNAUTHENTICATED. */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly verifier: ApiKeyVerifier;

  constructor(@Inject(GATEWAY_CONFIG) config: Pick<GatewayConfig, 'API_KEY'>) {
    this.verifier = new ApiKeyVerifier(config.API_KEY);
  }

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<IncomingMessage>();
    // A repeated header arrives as a list: ambiguous, so refused.
    if (!this.verifier.matches(request.headers[API_KEY_HEADER])) {
      throw new RpcError(ErrorCode.UNAUTHENTICATED, `missing or wrong ${API_KEY_HEADER} header`);
    }
    return true;
  }
}
