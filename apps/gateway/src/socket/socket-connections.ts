import { Inject, Injectable } from '@nestjs/common';
import { errorFields, GATEWAY_LOGGER, type GatewayLogger } from '../gateway.tokens';
import { listenToEveryEvent, releaseFirstRequest } from './engine-internals';
import { HandshakeAuthenticator } from './handshake';
import type { SocketSession } from './socket-session';
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

/**
 * Wires Socket.IO: the handshake middleware (which makes each socket's session its `data`), then
 * per connection its session, its events and its cleanup. The event and disconnect listeners are
 * the same two functions for every socket (Socket.IO calls them with the socket as `this`), not
 * closures made per connection: at tens of thousands of idle viewers, per-socket closures are
 * memory for nothing.
 */
@Injectable()
export class SocketConnections {
  private hooks: SessionHooks | undefined;
  private readonly onEvent: (this: GatewaySocket, event: unknown, ...args: unknown[]) => void;
  private readonly onDisconnect: (this: GatewaySocket) => void;

  constructor(
    private readonly host: SocketServerHost,
    private readonly handshake: HandshakeAuthenticator,
    @Inject(GATEWAY_LOGGER) private readonly log: GatewayLogger,
  ) {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the listeners' own `this` is the socket
    const connections = this;
    this.onEvent = function (this: GatewaySocket, event: unknown, ...args: unknown[]): void {
      connections.hooks?.event(this.data, String(event), args);
    };
    this.onDisconnect = function (this: GatewaySocket): void {
      connections.onClosed(this);
    };
  }

  start(hooks: SessionHooks): void {
    this.hooks = hooks;
    const io = this.host.attach();
    io.use(this.handshake.middleware);
    io.on('connection', (socket) => this.onConnection(socket));
  }

  private onConnection(socket: GatewaySocket): void {
    const session = socket.data;
    try {
      this.hooks?.opened(session);
    } catch (error) {
      this.log.error({ ...errorFields(error), userId: session.userId }, 'opening a session failed');
      this.handshake.release(socket);
      socket.disconnect(true);
      return;
    }
    listenToEveryEvent(socket, this.onEvent);
    socket.on('disconnect', this.onDisconnect);
    releaseFirstRequest(socket);
  }

  private onClosed(socket: GatewaySocket): void {
    this.handshake.release(socket);
    // A client that left the main namespace (its only one) but kept the transport would hold a
    // connection the ledger no longer counts: the transport goes too.
    if (socket.conn.readyState === 'open') socket.conn.close();
    const session = socket.data;
    try {
      this.hooks?.closed(session);
    } catch (error) {
      this.log.error({ ...errorFields(error), userId: session.userId }, 'closing a session failed');
    }
  }
}
