import { loadBusSecurity } from '@live-im/config';
import { Clock } from '@live-im/bootstrap';
import { RoomSubscriber } from '@live-im/broadcast';
import { HealthModule } from '@live-im/health';
import { LoggingModule } from '@live-im/logging';
import { PresenceStore, PresenceTracker } from '@live-im/presence';
import { REDIS, RedisClient, RedisHealthIndicator, RedisKeys, RedisModule } from '@live-im/redis';
import { ZmqHealthIndicator, ZmqRpcModule } from '@live-im/zmq-transport';
import { DynamicModule, Logger, Module } from '@nestjs/common';
import { APP_FILTER, APP_INTERCEPTOR } from '@nestjs/core';
import { EdgeCache } from './cache/edge-cache';
import { EdgeCacheMetrics } from './cache/edge-cache-metrics';
import { RoomFeed } from './cache/room-feed';
import { RoomReads } from './cache/room-reads';
import { edgeCacheLimits, GATEWAY_CONFIG, type GatewayConfig } from './config';
import { BatchFanout } from './delivery/batch-fanout';
import { ConnectionCapacityIndicator, createConnectionLedger } from './edge/connection-capacity';
import { ConnectionLedger } from './edge/connection-limits';
import { PresenceLoop } from './delivery/presence-loop';
import { ReceiptService } from './delivery/receipt-service';
import { SlowSocketPolicy } from './delivery/slow-socket-policy';
import { createGatewayLogger, GATEWAY_LOGGER, type GatewayLogger } from './gateway.tokens';
import { GatewayLifecycle } from './gateway.lifecycle';
import { ApiExceptionFilter } from './http/api-exception.filter';
import { ApiKeyGuard } from './http/api-key.guard';
import { AuthLimits } from './http/auth-limits';
import { HttpEdgeMetrics } from './http/http-edge-metrics';
import { AuthController } from './http/auth.controller';
import { GiftsController } from './http/gifts.controller';
import { RequestIdInterceptor } from './http/request-id.interceptor';
import { RoomsController } from './http/rooms.controller';
import { GatewayMetrics } from './metrics/gateway-metrics';
import { GatewayRpc } from './rpc/gateway-rpc';
import { ClientEventHandler } from './events/client-event.handler';
import { HandshakeAuthenticator } from './socket/handshake';
import { RoomMembership } from './delivery/room-membership';
import { SessionRegistry } from './socket/session-registry';
import { SocketConnections } from './socket/socket-connections';
import { SocketServerHost } from './socket/socket-server.host';
import { SocketWriter } from './socket/socket-writer';
import { subscriberLoadOf } from './socket/subscriber-load';

/**
 * The gateway proper: Socket.IO edge, delivery, presence, and the HTTP API. Global for its
 * ConnectionLedger alone, which /health/ready (HealthModule) reads.
 */
@Module({})
export class GatewayModule {
  static forRoot(config: GatewayConfig): DynamicModule {
    return {
      module: GatewayModule,
      global: true,
      exports: [ConnectionLedger],
      controllers: [AuthController, GiftsController, RoomsController],
      providers: [
        { provide: GATEWAY_CONFIG, useValue: config },
        { provide: GATEWAY_LOGGER, useValue: createGatewayLogger(config) },
        Clock,
        GatewayMetrics,
        GatewayRpc,
        { provide: EdgeCache, useFactory: () => new EdgeCache(edgeCacheLimits(config)) },
        {
          provide: EdgeCacheMetrics,
          useFactory: (cache: EdgeCache) => new EdgeCacheMetrics(cache),
          inject: [EdgeCache],
        },
        RoomReads,
        RoomFeed,
        {
          provide: RoomSubscriber,
          useFactory: (tracker: PresenceTracker, sessions: SessionRegistry) =>
            new RoomSubscriber({
              id: config.INSTANCE_ID,
              region: config.REGION,
              managerRouter: config.NM_ROUTER,
              managerPub: config.NM_PUB,
              heartbeatMs: config.HEARTBEAT_MS,
              subscriberLoad: subscriberLoadOf(tracker, sessions),
              logger: new Logger(RoomSubscriber.name),
              security: loadBusSecurity(config),
            }),
          inject: [PresenceTracker, SessionRegistry],
        },
        { provide: PresenceTracker, useFactory: () => new PresenceTracker() },
        {
          provide: PresenceStore,
          useFactory: (redis: RedisClient, keys: RedisKeys) =>
            new PresenceStore(redis, keys, { leaseMs: config.PRESENCE_LEASE_MS }),
          inject: [REDIS, RedisKeys],
        },
        {
          provide: SlowSocketPolicy,
          useFactory: () =>
            new SlowSocketPolicy({
              slowSocketBytes: config.SLOW_SOCKET_BYTES,
              importantBacklogBytes: config.IMPORTANT_BACKLOG_BYTES,
            }),
        },
        {
          provide: ConnectionLedger,
          useFactory: (log: GatewayLogger) => createConnectionLedger(config, log),
          inject: [GATEWAY_LOGGER],
        },
        SessionRegistry,
        SocketServerHost,
        SocketWriter,
        HandshakeAuthenticator,
        RoomMembership,
        ReceiptService,
        ClientEventHandler,
        SocketConnections,
        BatchFanout,
        PresenceLoop,
        GatewayLifecycle,
        ApiKeyGuard,
        AuthLimits,
        HttpEdgeMetrics,
        { provide: APP_FILTER, useClass: ApiExceptionFilter },
        { provide: APP_INTERCEPTOR, useClass: RequestIdInterceptor },
      ],
    };
  }
}

@Module({})
export class AppModule {
  static forRoot(config: GatewayConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        LoggingModule.forRoot({ app: 'gateway', level: config.LOG_LEVEL, instance: config.INSTANCE_ID }),
        RedisModule.forRoot(config),
        ZmqRpcModule.forRoot({
          brokers: config.RPC_BROKER_FRONTENDS,
          heartbeatMs: config.HEARTBEAT_MS,
          logger: new Logger('RpcClient'),
          security: loadBusSecurity(config),
        }),
        HealthModule.forRoot({
          readiness: [RedisHealthIndicator, ZmqHealthIndicator, ConnectionCapacityIndicator],
          providers: [ConnectionCapacityIndicator],
        }),
        GatewayModule.forRoot(config),
      ],
    };
  }
}
