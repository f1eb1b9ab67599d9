import {
  type Actor,
  type ConnectLimit,
  type ConnectLimitDetails,
  ErrorCode,
  HandshakeAuth,
  type HandshakeErrorData,
  RpcError,
  UserRpc,
} from '@live-im/contracts';
import { newRequestId, RequestContext } from '@live-im/logging';
import { Inject, Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config';
import { clientAddress } from '../edge/client-address';
import { ConnectionLedger } from '../edge/connection-limits';
import { TokenBucket } from '../edge/token-bucket';
import { errorFields, GATEWAY_LOGGER, type GatewayLogger } from '../gateway.tokens';
import { GatewayMetrics } from '../metrics/gateway-metrics';
import { GatewayRpc } from '../rpc/gateway-rpc';
import { SocketSession } from './socket-session';
import type { GatewaySocket } from './socket-types';

/** What `connect_error` carries: the message, and `data`: a contract code and, for limits, details. */
export type HandshakeError = Error & { data: HandshakeErrorData };

export function handshakeError(error: unknown): HandshakeError {
  const body = RpcError.from(error).toBody();
  const data: HandshakeErrorData =
    body.details === undefined ? { code: body.code } : { code: body.code, details: body.details };
  return Object.assign(new Error(body.message), { data });
}

/** A viewer without a token: a fresh guest id per connection that still matches UserId (`g_anon…`). */
export function anonymousActor(): Actor {
  return { userId: `g_anon${randomBytes(8).toString('hex')}`, nickname: 'guest', level: 0, role: 'guest' };
}

/** A handshake refused by a connection limit: its contract error (ConnectLimitDetails), and the metric label. */
class ConnectLimitError extends RpcError {
  constructor(
    readonly limit: ConnectLimit,
    code: ErrorCode,
    message: string,
    details: Omit<ConnectLimitDetails, 'limit'>,
  ) {
    const limitDetails: ConnectLimitDetails = { limit, ...details };
    super(code, message, limitDetails);
  }
}

/**
 * The Socket.IO middleware every connection passes: the connection limits (the gateway's total,
 * a token bucket of handshakes per client address, open connections per client address), then
 * identity. `auth.token` is verified by user-service (user.verifyToken: UNAUTHENTICATED when bad
 * or expired, BANNED when banned); no token makes an anonymous viewer, who may watch but not send.
 * Every refusal is a connect_error with `data.code`, and the connection is closed once it is sent.
 */
@Injectable()
export class HandshakeAuthenticator {
  private readonly connects: TokenBucket;
  private accepting = true;

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    readonly ledger: ConnectionLedger,
    private readonly rpc: GatewayRpc,
    private readonly metrics: GatewayMetrics,
    @Inject(GATEWAY_LOGGER) private readonly log: GatewayLogger,
  ) {
    this.connects = new TokenBucket({
      burst: config.CONNECT_BURST_PER_IP,
      perSecond: config.CONNECTS_PER_IP_PER_SEC,
    });
  }

  /** Shutdown: new connections are refused with SERVICE_UNAVAILABLE, so clients go to another gateway. */
  stopAccepting(): void {
    this.accepting = false;
  }

  readonly middleware = (socket: GatewaySocket, next: (error?: Error) => void): void => {
    RequestContext.run(newRequestId(), () => {
      this.authenticate(socket).then(
        () => {
          // Gone while it was verified: Socket.IO drops it without a connection or disconnect event.
          if (socket.conn.readyState !== 'open') this.release(socket);
          next();
        },
        (error: unknown) => {
          next(handshakeError(error));
          // Socket.IO writes the connect_error on the next tick; close() waits until it is sent. A
          // refused client then holds no file descriptor, whatever it does.
          setImmediate(() => socket.conn.close());
        },
      );
    });
  };

  /**
   * Counts the connection against the limits, or throws the refusal. Once counted it is released
   * (release) when the handshake fails, or when the socket that passed it goes away.
   */
  private admit(address: string): void {
    if (!this.accepting) {
      throw new ConnectLimitError(
        'shutting_down',
        ErrorCode.SERVICE_UNAVAILABLE,
        'this gateway is shutting down; connect to another one',
        {},
      );
    }
    if (this.ledger.open >= this.ledger.maxConnections) {
      throw this.gatewayFull();
    }
    const taken = this.connects.take(address);
    if (!taken.ok) {
      throw new ConnectLimitError(
        'address_rate',
        ErrorCode.RATE_LIMITED,
        `too many connections from this address; retry in ${taken.retryAfterMs} ms`,
        { retryAfterMs: taken.retryAfterMs },
      );
    }
    const refusal = this.ledger.tryOpen(address);
    if (refusal === 'gateway_full') {
      throw this.gatewayFull();
    }
    if (refusal === 'address_connections') {
      throw new ConnectLimitError(
        'address_connections',
        ErrorCode.RATE_LIMITED,
        `this address has ${this.ledger.maxPerAddress} connections open here; close one first`,
        { maxPerAddress: this.ledger.maxPerAddress },
      );
    }
  }

  private gatewayFull(): ConnectLimitError {
    return new ConnectLimitError(
      'gateway_full',
      ErrorCode.OVERLOADED,
      `this gateway is at its ${this.ledger.maxConnections} connections; connect to another one`,
      { maxConnections: this.ledger.maxConnections },
    );
  }

  /**
   * A connection that passed admit leaves the ledger: its handshake failed, or it closed (the
   * socket layer calls this on disconnect). The address is worked out again from the handshake,
   * which does not change, so a connection keeps no listener or closure of its own for it.
   */
  release(socket: GatewaySocket): void {
    this.ledger.release(this.addressOf(socket));
  }

  private addressOf(socket: GatewaySocket): string {
    const { handshake } = socket;
    return clientAddress(handshake.address, handshake.headers['x-forwarded-for'], this.config.TRUST_PROXY);
  }

  private async authenticate(socket: GatewaySocket): Promise<void> {
    let kind: 'user' | 'guest' | 'anonymous' | 'unknown' = 'unknown';
    let counted = false;
    try {
      const { handshake } = socket;
      this.admit(this.addressOf(socket));
      counted = true;
      const auth = HandshakeAuth.safeParse(handshake.auth ?? {});
      if (!auth.success) throw new RpcError(ErrorCode.UNAUTHENTICATED, 'auth must be {token?: string}');
      const token = auth.data.token;
      if (token === undefined) {
        kind = 'anonymous';
        socket.data = new SocketSession(socket, anonymousActor(), true, null);
      } else {
        const claims = await this.rpc.call(UserRpc.verifyToken, { token });
        kind = claims.role === 'guest' ? 'guest' : 'user';
        const actor = {
          userId: claims.userId,
          nickname: claims.nickname,
          level: claims.level,
          role: claims.role,
        };
        socket.data = new SocketSession(socket, actor, false, claims.expiresAt);
      }
      this.metrics.handshake('OK', kind);
    } catch (error) {
      if (counted) this.release(socket);
      const code = RpcError.from(error).code;
      this.metrics.handshake(code, kind);
      if (error instanceof ConnectLimitError) this.metrics.connectRefused(error.limit);
      if (code === ErrorCode.INTERNAL && !(error instanceof RpcError))
        this.log.error(errorFields(error), 'handshake failed');
      throw error;
    }
  }
}
