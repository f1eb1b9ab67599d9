import { Module } from '@nestjs/common';
import { Clock } from '@live-im/bootstrap';
import { REDIS, RedisClient } from '@live-im/redis';
import { UserChannels } from '../channels/user-channels';
import { RoomCoreModule } from '../core/room-core.module';
import { RoomKeys } from '../rooms/room-keys';
import { ModerationController } from './moderation.controller';
import { RoomModeration } from './room-moderation';

/** Room mutes, bans and kicks. */
@Module({
  imports: [RoomCoreModule],
  controllers: [ModerationController],
  providers: [
    {
      provide: RoomModeration,
      useFactory: (redis: RedisClient, keys: RoomKeys, clock: Clock, channels: UserChannels) =>
        new RoomModeration(redis, keys, clock, channels),
      inject: [REDIS, RoomKeys, Clock, UserChannels],
    },
  ],
})
export class ModerationModule {}
