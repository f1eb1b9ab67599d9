import { Module } from '@nestjs/common';
import { Clock } from '@live-im/bootstrap';
import { IMPORTANT_REPLICA_ACKS, REDIS, RedisClient, ReplicaAcks } from '@live-im/redis';
import { RoomBroadcast } from '../broadcast/room-broadcast';
import { UserChannels } from '../channels/user-channels';
import { ROOM_SERVICE_CONFIG, RoomServiceConfig } from '../config';
import { RoomCoreModule } from '../core/room-core.module';
import { logPolicyOf } from '../core/settings';
import { GiftCatalogue } from '../gifts/gift-catalogue';
import { RoomMetrics } from '../metrics/room-metrics';
import { ReceiptStore } from '../receipts/receipt-store';
import { ReceiptsModule } from '../receipts/receipts.module';
import { RoomKeys } from '../rooms/room-keys';
import { MemberSends } from './member-sends';
import { MessagesController } from './messages.controller';
import { RoomLog } from './room-log';
import { RoomPush } from './room-push';
import { SendPipeline } from './send-pipeline';
import { SendRates } from './send-rate';

/** Room messages: join, history, chat, gifts (and their catalogue), business pushes. */
@Module({
  imports: [RoomCoreModule, ReceiptsModule],
  controllers: [MessagesController],
  providers: [
    {
      provide: GiftCatalogue,
      useFactory: (config: RoomServiceConfig) => new GiftCatalogue(config.gifts),
      inject: [ROOM_SERVICE_CONFIG],
    },
    {
      provide: SendPipeline,
      useFactory: (
        redis: RedisClient,
        keys: RoomKeys,
        clock: Clock,
        rates: SendRates,
        broadcast: RoomBroadcast,
        metrics: RoomMetrics,
        config: RoomServiceConfig,
        importantAcks: ReplicaAcks,
      ) =>
        new SendPipeline(redis, keys, clock, rates, broadcast, metrics, {
          log: logPolicyOf(config),
          dedupeTtlMs: config.DEDUPE_TTL_SEC * 1000,
          importantAcks,
        }),
      inject: [
        REDIS,
        RoomKeys,
        Clock,
        SendRates,
        RoomBroadcast,
        RoomMetrics,
        ROOM_SERVICE_CONFIG,
        IMPORTANT_REPLICA_ACKS,
      ],
    },
    {
      provide: MemberSends,
      useFactory: (pipeline: SendPipeline, gifts: GiftCatalogue) => new MemberSends(pipeline, gifts),
      inject: [SendPipeline, GiftCatalogue],
    },
    {
      provide: RoomPush,
      useFactory: (
        redis: RedisClient,
        keys: RoomKeys,
        clock: Clock,
        pipeline: SendPipeline,
        rates: SendRates,
        channels: UserChannels,
        receipts: ReceiptStore,
        metrics: RoomMetrics,
        config: RoomServiceConfig,
      ) =>
        new RoomPush(redis, keys, clock, pipeline, rates, channels, receipts, metrics, {
          dedupeTtlMs: config.DEDUPE_TTL_SEC * 1000,
          receiptGraceMs: config.RECEIPT_GRACE_SEC * 1000,
        }),
      inject: [
        REDIS,
        RoomKeys,
        Clock,
        SendPipeline,
        SendRates,
        UserChannels,
        ReceiptStore,
        RoomMetrics,
        ROOM_SERVICE_CONFIG,
      ],
    },
    {
      provide: RoomLog,
      useFactory: (redis: RedisClient, keys: RoomKeys, clock: Clock, config: RoomServiceConfig) =>
        new RoomLog(redis, keys, clock, {
          recentNormal: config.RECENT_NORMAL,
          recentImportant: config.RECENT_IMPORTANT,
          resumeLimit: config.RESUME_LIMIT,
        }),
      inject: [REDIS, RoomKeys, Clock, ROOM_SERVICE_CONFIG],
    },
  ],
})
export class MessagesModule {}
