import { type Actor, ErrorCode, HandshakeAuth, RpcError, UserRpc } from '@live-im/contracts';
import { newRequestId, RequestContext } from '@live-im/logging';
import { Inject, Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import type { RateLimiterMemory } from 'rate-limiter-flexible';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config';
import { clientAddress } from '../edge/client-address';
import { consumeOrReject, perSecondLimiter } from '../edge/rate-limit';
import { errorFields, GATEWAY_LOGGER, type GatewayLogger } from '../gateway.tokens';
import { GatewayMetrics } from '../metrics/gateway-metrics';
import { GatewayRpc } from '../rpc/gateway-rpc';
import type { GatewaySocket } from './socket-types';

/** What `connect_error` carries: the message, and `data.code`, a contract code. */
export type HandshakeError = Error & { data: { code: ErrorCode } };

export function handshakeError(error: unknown): HandshakeError {
  const body = RpcError.from(error).toBody();
  return Object.assign(new Error(body.message), { data: { code: body.code } });
}

/** A viewer without a token: a fresh guest id per connection that still matches UserId (`g_anon…`). */
export function anonymousActor(): Actor {
  return { userId: `g_anon${randomBytes(8).toString('hex')}`, nickname: 'guest', level: 0, role: 'guest' };
}

/**
 * The Socket.IO middleware every connection passes: connection rate per client address, then
 * identity. `auth.token` is verified by user-service (user.verifyToken: UNAUTHENTICATED when bad
 * or expired, BANNED when banned); no token makes an anonymous viewer, who may watch but not send.
 */
@Injectable()
export class HandshakeAuthenticator {
  private readonly connects: RateLimiterMemory;
  private accepting = true;

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly rpc: GatewayRpc,
    private readonly metrics: GatewayMetrics,
    @Inject(GATEWAY_LOGGER) private readonly log: GatewayLogger,
  ) {
    this.connects = perSecondLimiter(config.CONNECTS_PER_IP_PER_SEC, 'connect');
  }

  /** Shutdown: new connections are refused with SERVICE_UNAVAILABLE, so clients go to another gateway. */
  stopAccepting(): void {
    this.accepting = false;
  }

  readonly middleware = (socket: GatewaySocket, next: (error?: Error) => void): void => {
    RequestContext.run(newRequestId(), () => {
      this.authenticate(socket).then(
        () => next(),
        (error: unknown) => next(handshakeError(error)),
      );
    });
  };

  private async authenticate(socket: GatewaySocket): Promise<void> {
    let kind: 'user' | 'guest' | 'anonymous' | 'unknown' = 'unknown';
    try {
      if (!this.accepting)
        throw new RpcError(
          ErrorCode.SERVICE_UNAVAILABLE,
          'this gateway is shutting down; connect to another one',
        );
      const { handshake } = socket;
      const address = clientAddress(
        handshake.address,
        handshake.headers['x-forwarded-for'],
        this.config.TRUST_PROXY,
      );
      await consumeOrReject(this.connects, address, 'connections from this address');
      const auth = HandshakeAuth.safeParse(handshake.auth ?? {});
      if (!auth.success) throw new RpcError(ErrorCode.UNAUTHENTICATED, 'auth must be {token?: string}');
      const token = auth.data.token;
      if (token === undefined) {
        kind = 'anonymous';
        socket.data = { actor: anonymousActor(), anonymous: true, expiresAt: null, address };
      } else {
        const claims = await this.rpc.call(UserRpc.verifyToken, { token });
        kind = claims.role === 'guest' ? 'guest' : 'user';
        socket.data = {
          actor: { userId: claims.userId, nickname: claims.nickname, level: claims.level, role: claims.role },
          anonymous: false,
          expiresAt: claims.expiresAt,
          address,
        };
      }
      this.metrics.handshake('OK', kind);
    } catch (error) {
      const code = RpcError.from(error).code;
      this.metrics.handshake(code, kind);
      if (code === ErrorCode.INTERNAL && !(error instanceof RpcError))
        this.log.error(errorFields(error), 'handshake failed');
      throw error;
    }
  }
}
