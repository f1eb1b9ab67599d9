import { Inject, Injectable } from '@nestjs/common';
import { errorFields, GATEWAY_LOGGER, type GatewayLogger } from '../gateway.tokens';
import { ClientEventHandler } from './client-event.handler';
import { HandshakeAuthenticator } from './handshake';
import { RoomMembership } from './room-membership';
import { SocketSession } from './socket-session';
import { SocketServerHost } from './socket-server.host';
import type { GatewaySocket } from './socket-types';

/** Wires Socket.IO: the handshake middleware, then per connection its session, its events and its cleanup. */
@Injectable()
export class SocketConnections {
  constructor(
    private readonly host: SocketServerHost,
    private readonly handshake: HandshakeAuthenticator,
    private readonly events: ClientEventHandler,
    private readonly membership: RoomMembership,
    @Inject(GATEWAY_LOGGER) private readonly log: GatewayLogger,
  ) {}

  start(): void {
    const io = this.host.attach();
    io.use(this.handshake.middleware);
    io.on('connection', (socket) => this.onConnection(socket));
  }

  private onConnection(socket: GatewaySocket): void {
    const data = socket.data;
    const session = new SocketSession(socket, data.actor, data.anonymous, data.expiresAt);
    try {
      this.membership.open(session);
    } catch (error) {
      this.log.error({ ...errorFields(error), userId: session.userId }, 'opening a session failed');
      socket.disconnect(true);
      return;
    }
    socket.onAny((event: unknown, ...args: unknown[]) => this.events.handle(session, String(event), args));
    socket.on('disconnect', () => {
      try {
        this.membership.close(session);
      } catch (error) {
        this.log.error({ ...errorFields(error), userId: session.userId }, 'closing a session failed');
      }
      this.events.forget(session);
    });
  }
}
