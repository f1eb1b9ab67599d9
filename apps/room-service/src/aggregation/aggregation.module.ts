import { Module } from '@nestjs/common';
import { Clock } from '@live-im/bootstrap';
import { PresenceStore } from '@live-im/presence';
import { REDIS, RedisClient, RedisKeys } from '@live-im/redis';
import { BroadcastPublisher } from '../broadcast/broadcast-publisher';
import { ROOM_SERVICE_CONFIG, RoomServiceConfig } from '../config';
import { RoomCoreModule } from '../core/room-core.module';
import { RoomKeys } from '../rooms/room-keys';
import { AggregationLeases } from './aggregation-leases';
import { RoomStateAggregator } from './room-state-aggregator';
import { AggregationMetrics, RoomStateLoop } from './room-state-loop';

/**
 * Online count and seq beacon, once per room for the whole cluster: the workers share the live
 * rooms by shard leases, and each room's owner publishes its state every ROOM_STATE_MS.
 */
@Module({
  imports: [RoomCoreModule],
  providers: [
    {
      provide: RoomStateLoop,
      useFactory: (
        redis: RedisClient,
        redisKeys: RedisKeys,
        keys: RoomKeys,
        publisher: BroadcastPublisher,
        clock: Clock,
        config: RoomServiceConfig,
      ) => {
        const leases = new AggregationLeases(redis, redisKeys, {
          workerId: config.publisherId,
          leaseMs: config.AGGREGATION_LEASE_MS,
        });
        const presence = new PresenceStore(redis, redisKeys, { leaseMs: config.PRESENCE_LEASE_MS });
        const aggregator = new RoomStateAggregator(
          leases,
          presence,
          (roomId) => [keys.seq(roomId, 'normal'), keys.seq(roomId, 'important')],
          publisher.publisher,
          new AggregationMetrics(),
        );
        return new RoomStateLoop(aggregator, clock, config.ROOM_STATE_MS);
      },
      inject: [REDIS, RedisKeys, RoomKeys, BroadcastPublisher, Clock, ROOM_SERVICE_CONFIG],
    },
  ],
})
export class AggregationModule {}
