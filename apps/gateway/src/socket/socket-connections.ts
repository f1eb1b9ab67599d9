import { Inject, Injectable } from '@nestjs/common';
import { errorFields, GATEWAY_LOGGER, type GatewayLogger } from '../gateway.tokens';
import { HandshakeAuthenticator } from './handshake';
import { SocketSession } from './socket-session';
import { SocketServerHost } from './socket-server.host';
import type { GatewaySocket } from './socket-types';

/** What the rest of the gateway does with a connection; socket/ calls it, and knows nothing more of it. */
export interface SessionHooks {
  /** A new session; throwing refuses it (the socket is disconnected). */
  opened(session: SocketSession): void;
  /** An event the client sent. */
  event(session: SocketSession, event: string, args: unknown[]): void;
  /** The socket went away. */
  closed(session: SocketSession): void;
}

/** Wires Socket.IO: the handshake middleware, then per connection its session, its events and its cleanup. */
@Injectable()
export class SocketConnections {
  constructor(
    private readonly host: SocketServerHost,
    private readonly handshake: HandshakeAuthenticator,
    @Inject(GATEWAY_LOGGER) private readonly log: GatewayLogger,
  ) {}

  start(hooks: SessionHooks): void {
    const io = this.host.attach();
    io.use(this.handshake.middleware);
    io.on('connection', (socket) => this.onConnection(socket, hooks));
  }

  private onConnection(socket: GatewaySocket, hooks: SessionHooks): void {
    const data = socket.data;
    const session = new SocketSession(socket, data.actor, data.anonymous, data.expiresAt);
    try {
      hooks.opened(session);
    } catch (error) {
      this.log.error({ ...errorFields(error), userId: session.userId }, 'opening a session failed');
      socket.disconnect(true);
      return;
    }
    socket.onAny((event: unknown, ...args: unknown[]) => hooks.event(session, String(event), args));
    socket.on('disconnect', () => {
      try {
        hooks.closed(session);
      } catch (error) {
        this.log.error({ ...errorFields(error), userId: session.userId }, 'closing a session failed');
      }
    });
  }
}
