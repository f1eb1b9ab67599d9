import { Module } from '@nestjs/common';
import { Clock } from '@live-im/bootstrap';
import { REDIS, RedisClient } from '@live-im/redis';
import { BROADCAST_OUTLET } from '../broadcast/broadcast-outlet';
import { BroadcastPublisher } from '../broadcast/broadcast-publisher';
import { RoomBroadcast } from '../broadcast/room-broadcast';
import { UserChannels } from '../channels/user-channels';
import { ROOM_SERVICE_CONFIG, RoomServiceConfig } from '../config';
import { SendRates } from '../messages/send-rate';
import { RoomMetrics } from '../metrics/room-metrics';
import { RoomKeys } from '../rooms/room-keys';

/**
 * What every room feature shares: keys, clock, metrics, the broadcast publisher and user channels,
 * the send rate limits. Imported by each feature module, so it sits deepest: its shutdown (closing
 * the publisher) runs after theirs (flushing likes). Needs the global Redis and config modules.
 */
@Module({
  providers: [
    Clock,
    RoomKeys,
    RoomMetrics,
    BroadcastPublisher,
    { provide: BROADCAST_OUTLET, useExisting: BroadcastPublisher },
    RoomBroadcast,
    {
      provide: UserChannels,
      useFactory: (redis: RedisClient, keys: RoomKeys, broadcast: RoomBroadcast, metrics: RoomMetrics) =>
        new UserChannels(redis, keys, broadcast, metrics),
      inject: [REDIS, RoomKeys, RoomBroadcast, RoomMetrics],
    },
    {
      provide: SendRates,
      useFactory: (keys: RoomKeys, config: RoomServiceConfig) =>
        new SendRates(keys, {
          userPoints: config.USER_RATE_POINTS,
          userWindowSec: config.USER_RATE_WINDOW_SEC,
          roomPoints: config.ROOM_RATE_POINTS,
          roomWindowSec: config.ROOM_RATE_WINDOW_SEC,
        }),
      inject: [RoomKeys, ROOM_SERVICE_CONFIG],
    },
  ],
  exports: [Clock, RoomKeys, RoomMetrics, RoomBroadcast, BroadcastPublisher, UserChannels, SendRates],
})
export class RoomCoreModule {}
