import type { ClientToServerEvents, ServerToClientEvents } from '@live-im/contracts';
import type { DefaultEventsMap, Server, Socket } from 'socket.io';
import type { SocketSession } from './socket-session';

/**
 * What the handshake leaves on each socket (`socket.data`): its session, so that a socket and its
 * session are one lookup apart with no other object per connection. Set by the handshake
 * middleware before Socket.IO announces the connection; nothing reads it earlier.
 */
export type GatewaySocketData = SocketSession;

export type GatewayServer = Server<
  ClientToServerEvents,
  ServerToClientEvents,
  DefaultEventsMap,
  GatewaySocketData
>;
export type GatewaySocket = Socket<
  ClientToServerEvents,
  ServerToClientEvents,
  DefaultEventsMap,
  GatewaySocketData
>;
