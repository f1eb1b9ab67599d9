import { Module } from '@nestjs/common';
import { Clock } from '@live-im/bootstrap';
import { REDIS, RedisClient } from '@live-im/redis';
import { RoomBroadcast } from '../broadcast/room-broadcast';
import { ROOM_SERVICE_CONFIG, RoomServiceConfig } from '../config';
import { RoomCoreModule } from '../core/room-core.module';
import { logPolicyOf } from '../core/settings';
import { RoomMetrics } from '../metrics/room-metrics';
import { RoomKeys } from '../rooms/room-keys';
import { LikeAggregator } from './like-aggregator';
import { LikesController } from './likes.controller';

/** Likes, counted per worker and written as one aggregate per room per period. */
@Module({
  imports: [RoomCoreModule],
  controllers: [LikesController],
  providers: [
    {
      provide: LikeAggregator,
      useFactory: (
        redis: RedisClient,
        keys: RoomKeys,
        clock: Clock,
        broadcast: RoomBroadcast,
        metrics: RoomMetrics,
        config: RoomServiceConfig,
      ) =>
        new LikeAggregator(redis, keys, clock, broadcast, metrics, {
          flushMs: config.LIKE_FLUSH_MS,
          log: logPolicyOf(config).normal,
        }),
      inject: [REDIS, RoomKeys, Clock, RoomBroadcast, RoomMetrics, ROOM_SERVICE_CONFIG],
    },
  ],
})
export class LikesModule {}
