import { Inject, Injectable } from '@nestjs/common';
import { errorFields, GATEWAY_LOGGER, type GatewayLogger } from '../gateway.tokens';
import { ClientEventHandler } from './client-event.handler';
import { HandshakeAuthenticator } from './handshake';
import { RoomMembership } from './room-membership';
import type { SocketSession } from './socket-session';
import { SocketServerHost } from './socket-server.host';
import type { GatewaySocket } from './socket-types';

/**
 * Wires Socket.IO: the handshake middleware, then per connection its session, its events and its
 * cleanup. The event and disconnect listeners are the same two functions for every socket (Socket.IO
 * calls them with the socket as `this`, whose `data` is its session), not closures made per
 * connection: at tens of thousands of idle viewers, per-socket closures are memory for nothing.
 */
@Injectable()
export class SocketConnections {
  private readonly onEvent: (this: GatewaySocket, event: unknown, ...args: unknown[]) => void;
  private readonly onDisconnect: (this: GatewaySocket) => void;

  constructor(
    private readonly host: SocketServerHost,
    private readonly handshake: HandshakeAuthenticator,
    private readonly events: ClientEventHandler,
    private readonly membership: RoomMembership,
    @Inject(GATEWAY_LOGGER) private readonly log: GatewayLogger,
  ) {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the listeners' own `this` is the socket
    const connections = this;
    this.onEvent = function (this: GatewaySocket, event: unknown, ...args: unknown[]): void {
      connections.events.handle(this.data, String(event), args);
    };
    this.onDisconnect = function (this: GatewaySocket): void {
      connections.onClosed(this.data);
    };
  }

  start(): void {
    const io = this.host.attach();
    io.use(this.handshake.middleware);
    io.on('connection', (socket) => this.onConnection(socket));
  }

  private onConnection(socket: GatewaySocket): void {
    const session = socket.data;
    try {
      this.membership.open(session);
    } catch (error) {
      this.log.error({ ...errorFields(error), userId: session.userId }, 'opening a session failed');
      socket.disconnect(true);
      return;
    }
    socket.onAny(this.onEvent);
    socket.on('disconnect', this.onDisconnect);
  }

  private onClosed(session: SocketSession): void {
    try {
      this.membership.close(session);
    } catch (error) {
      this.log.error({ ...errorFields(error), userId: session.userId }, 'closing a session failed');
    }
    this.events.forget(session);
  }
}
