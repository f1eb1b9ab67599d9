import { Clock } from '@live-im/bootstrap';
import { RoomSubscriber } from '@live-im/broadcast';
import { HealthModule } from '@live-im/health';
import { LoggingModule } from '@live-im/logging';
import { PresenceStore, PresenceTracker } from '@live-im/presence';
import { REDIS, RedisHealthIndicator, RedisKeys, RedisModule } from '@live-im/redis';
import { ZmqHealthIndicator, ZmqRpcModule } from '@live-im/zmq-transport';
import { DynamicModule, Logger, Module } from '@nestjs/common';
import { APP_FILTER, APP_INTERCEPTOR } from '@nestjs/core';
import type Redis from 'ioredis';
import { GATEWAY_CONFIG, type GatewayConfig } from './config';
import { BatchFanout } from './delivery/batch-fanout';
import { PresenceLoop } from './delivery/presence-loop';
import { ReceiptService } from './delivery/receipt-service';
import { SlowSocketPolicy } from './delivery/slow-socket-policy';
import { createGatewayLogger, GATEWAY_LOGGER } from './gateway.tokens';
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
import { ClientEventHandler } from './socket/client-event.handler';
import { HandshakeAuthenticator } from './socket/handshake';
import { RoomMembership } from './socket/room-membership';
import { SessionRegistry } from './socket/session-registry';
import { SocketConnections } from './socket/socket-connections';
import { SocketServerHost } from './socket/socket-server.host';
import { subscriberLoadOf } from './socket/subscriber-load';

/** The gateway proper: Socket.IO edge, delivery, presence, and the HTTP API. */
@Module({})
export class GatewayModule {
  static forRoot(config: GatewayConfig): DynamicModule {
    return {
      module: GatewayModule,
      controllers: [AuthController, GiftsController, RoomsController],
      providers: [
        { provide: GATEWAY_CONFIG, useValue: config },
        { provide: GATEWAY_LOGGER, useValue: createGatewayLogger(config) },
        Clock,
        GatewayMetrics,
        GatewayRpc,
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
            }),
          inject: [PresenceTracker, SessionRegistry],
        },
        { provide: PresenceTracker, useFactory: () => new PresenceTracker() },
        {
          provide: PresenceStore,
          useFactory: (redis: Redis, keys: RedisKeys) =>
            new PresenceStore(redis, keys, { leaseMs: config.PRESENCE_LEASE_MS }),
          inject: [REDIS, RedisKeys],
        },
        {
          provide: SlowSocketPolicy,
          useFactory: () =>
            new SlowSocketPolicy({
              slowSocketPackets: config.SLOW_SOCKET_PACKETS,
              importantBacklogPackets: config.IMPORTANT_BACKLOG_PACKETS,
            }),
        },
        SessionRegistry,
        SocketServerHost,
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
        RedisModule.forRoot({ url: config.REDIS_URL, keyPrefix: config.REDIS_KEY_PREFIX }),
        ZmqRpcModule.forRoot({
          brokers: config.RPC_BROKER_FRONTENDS,
          heartbeatMs: config.HEARTBEAT_MS,
          logger: new Logger('RpcClient'),
        }),
        HealthModule.forRoot({ readiness: [RedisHealthIndicator, ZmqHealthIndicator] }),
        GatewayModule.forRoot(config),
      ],
    };
  }
}
