import { Module } from '@nestjs/common';
import { Clock } from '@live-im/bootstrap';
import { PresenceStore } from '@live-im/presence';
import { REDIS, RedisKeys, RedisClient } from '@live-im/redis';
import { RoomBroadcast } from '../broadcast/room-broadcast';
import { ROOM_SERVICE_CONFIG, RoomServiceConfig } from '../config';
import { RoomCoreModule } from '../core/room-core.module';
import { logPolicyOf } from '../core/settings';
import { RoomMetrics } from '../metrics/room-metrics';
import { RoomKeys } from './room-keys';
import { RoomStats } from './room-stats';
import { RoomStore } from './room.store';
import { RoomsController } from './rooms.controller';

/** Rooms: create, get, close (with its room_closed message), stats. */
@Module({
  imports: [RoomCoreModule],
  controllers: [RoomsController],
  providers: [
    {
      provide: RoomStore,
      useFactory: (
        redis: RedisClient,
        keys: RoomKeys,
        clock: Clock,
        broadcast: RoomBroadcast,
        metrics: RoomMetrics,
        config: RoomServiceConfig,
      ) => new RoomStore(redis, keys, clock, broadcast, metrics, logPolicyOf(config)),
      inject: [REDIS, RoomKeys, Clock, RoomBroadcast, RoomMetrics, ROOM_SERVICE_CONFIG],
    },
    {
      provide: RoomStats,
      useFactory: (
        redis: RedisClient,
        keys: RoomKeys,
        redisKeys: RedisKeys,
        clock: Clock,
        config: RoomServiceConfig,
      ) =>
        new RoomStats(
          redis,
          keys,
          new PresenceStore(redis, redisKeys, { leaseMs: config.PRESENCE_LEASE_MS }),
          clock,
        ),
      inject: [REDIS, RoomKeys, RedisKeys, Clock, ROOM_SERVICE_CONFIG],
    },
  ],
})
export class RoomsModule {}
