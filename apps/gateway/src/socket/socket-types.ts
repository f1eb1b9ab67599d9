import type { Actor, ClientToServerEvents, ServerToClientEvents } from '@live-im/contracts';
import type { DefaultEventsMap, Server, Socket } from 'socket.io';

/** What the handshake leaves on each socket (`socket.data`). */
export interface GatewaySocketData {
  actor: Actor;
  /** No token: a viewer with a throwaway identity. */
  anonymous: boolean;
  /** When the token stops being good for sending (epoch ms); null for anonymous viewers. */
  expiresAt: number | null;
  /** The client address the connection limit counted. */
  address: string;
}

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
