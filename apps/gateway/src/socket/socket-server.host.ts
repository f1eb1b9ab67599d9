import { Inject, Injectable } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Server as HttpServer } from 'node:http';
import type { Socket } from 'node:net';
import { IoAdapter } from '@nestjs/platform-socket.io';
import type { ServerOptions } from 'socket.io';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config';
import { readOpenFilesLimit, transportConnectionCap } from '../edge/connection-limits';
import { GATEWAY_LOGGER, type GatewayLogger } from '../gateway.tokens';
import { GatewayMetrics } from '../metrics/gateway-metrics';
import { releaseUpgradeRequests } from './engine-internals';
import { boundSendBuffer, sendBufferSupport } from './send-buffer';
import type { GatewayServer } from './socket-types';

/**
 * Engine limit per HTTP body or WebSocket frame. A long-polling POST may carry several events, so
 * it sits well above MAX_EVENT_BYTES, which each event is held to on its own.
 */
export const MAX_HTTP_BUFFER_BYTES = 64 * 1024;

/** The Socket.IO server options the gateway runs with (both transports, CORS from config). */
export function socketServerOptions(config: Pick<GatewayConfig, 'CORS_ORIGINS'>): Partial<ServerOptions> {
  const anyOrigin = config.CORS_ORIGINS.length === 1 && config.CORS_ORIGINS[0] === '*';
  return {
    path: '/socket.io',
    serveClient: false,
    // Long-polling first so a client behind a WebSocket-hostile proxy still connects, then upgrade.
    transports: ['polling', 'websocket'],
    cors: { origin: anyOrigin ? '*' : config.CORS_ORIGINS, methods: ['GET', 'POST'] },
    maxHttpBufferSize: MAX_HTTP_BUFFER_BYTES,
    pingInterval: 25_000,
    pingTimeout: 20_000,
    connectTimeout: 10_000,
    // A room's writes are encoded once for all its sockets (event-frames.ts); compressing them per
    // socket would undo that.
    perMessageDeflate: false,
    httpCompression: false,
  };
}

/**
 * Socket.IO on the app's own HTTP server and port, created by Nest's IoAdapter
 * (@nestjs/platform-socket.io) once the HTTP server exists (module init, before listen). The
 * gateway drives the server itself rather than through @WebSocketGateway handlers: batches are
 * broadcast from the broadcast subscriber, not answers to client events, and every client event
 * needs the same validation, rate limit and ack shaping (events/client-events.ts).
 */
@Injectable()
export class SocketServerHost {
  private server: GatewayServer | undefined;
  private boundBytes = 0;

  constructor(
    private readonly httpHost: HttpAdapterHost,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly metrics: GatewayMetrics,
    @Inject(GATEWAY_LOGGER) private readonly log: GatewayLogger,
  ) {}

  attach(): GatewayServer {
    if (this.server) return this.server;
    const httpServer = this.httpHost.httpAdapter.getHttpServer() as HttpServer | undefined;
    if (httpServer === undefined) throw new Error('the HTTP server does not exist yet');
    // Port 0: attach to the given HTTP server instead of opening a port of its own.
    const options = socketServerOptions(this.config) as ServerOptions; // the rest keep socket.io's defaults
    this.server = new IoAdapter(httpServer).create(0, options) as GatewayServer;
    releaseUpgradeRequests(this.server);
    this.boundSendBuffers(httpServer);
    this.capTransport(httpServer);
    return this.server;
  }

  /**
   * The last guard of the descriptors: connections past the transport cap are closed by Node as
   * soon as they are accepted ('drop', counted). The handshake's OVERLOADED refusal comes well
   * before it (the connection limit leaves a reserve), so only a burst larger than that reserve
   * arriving at once ever meets it.
   */
  private capTransport(httpServer: HttpServer): void {
    const cap = transportConnectionCap(readOpenFilesLimit());
    if (cap === undefined) return;
    httpServer.maxConnections = cap;
    httpServer.on('drop', () => this.metrics.transportDropped());
  }

  /**
   * Every WebSocket connection (a client's first transport, or its upgrade from long-polling,
   * which opens a connection of its own) gets the bounded kernel send buffer as its upgrade
   * request arrives, before engine.io answers it. Long-polling responses are short-lived and
   * engine.io counts their backlog itself, so their connections keep the kernel's default.
   */
  private boundSendBuffers(httpServer: HttpServer): void {
    const bytes = this.config.SEND_BUFFER_BYTES;
    const support = sendBufferSupport();
    if (bytes === 0) {
      this.metrics.sendBufferBoundBytes(0);
      this.log.info({ sendBufferBytes: 0 }, 'send buffer bound off (SEND_BUFFER_BYTES=0)');
      return;
    }
    if (!support.ok) {
      this.metrics.sendBufferBoundBytes(0);
      this.log.warn(
        { reason: support.reason },
        'send buffer bound unavailable: slow clients queue in the kernel, unseen by the slow-socket policy',
      );
      return;
    }
    this.metrics.sendBufferBoundBytes(bytes);
    this.boundBytes = bytes;
    this.log.info({ sendBufferBytes: bytes }, 'send buffer bound');
    httpServer.on('upgrade', (_request, socket: Socket) => {
      if (!boundSendBuffer(socket, bytes)) this.metrics.sendBufferBoundFailed();
    });
  }

  /** The SO_SNDBUF each websocket connection gets (0: the kernel's own, unbounded for the policy's purposes). */
  get sendBufferBound(): number {
    return this.boundBytes;
  }

  get io(): GatewayServer {
    if (!this.server) throw new Error('Socket.IO is not attached yet');
    return this.server;
  }

  get attached(): boolean {
    return this.server !== undefined;
  }

  /**
   * Drops every connection at the transport, without a Socket.IO disconnect packet, so clients
   * see a lost connection and reconnect (to another gateway) by themselves. The HTTP server is
   * left to Nest, which closes it after the shutdown hooks.
   */
  dropAll(): void {
    this.server?.engine.close();
  }
}
