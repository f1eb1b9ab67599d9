import { Module } from '@nestjs/common';
import { Clock } from '@live-im/bootstrap';
import { REDIS, RedisClient } from '@live-im/redis';
import { ZmqClient } from '@live-im/zmq-transport';
import { UserChannels } from '../channels/user-channels';
import { ROOM_SERVICE_CONFIG, RoomServiceConfig } from '../config';
import { RoomCoreModule } from '../core/room-core.module';
import { RoomMetrics } from '../metrics/room-metrics';
import { RoomKeys } from '../rooms/room-keys';
import { BrokerBusinessEvents, BUSINESS_EVENTS, BusinessEvents } from './business-events';
import { ReceiptDesk } from './receipt-desk';
import { ReceiptReporter } from './receipt-reporter';
import { ReceiptStore } from './receipt-store';
import { ReceiptSweeper } from './receipt-sweeper';
import { ReceiptsController } from './receipts.controller';

/** Receipts of requireAck messages: reports, expiry of silent recipients, notices to senders and the business. Needs the global ZmqRpcModule. */
@Module({
  imports: [RoomCoreModule],
  controllers: [ReceiptsController],
  providers: [
    {
      provide: BUSINESS_EVENTS,
      useFactory: (client: ZmqClient, metrics: RoomMetrics) => new BrokerBusinessEvents(client, metrics),
      inject: [ZmqClient, RoomMetrics],
    },
    {
      provide: ReceiptStore,
      useFactory: (redis: RedisClient, keys: RoomKeys) => new ReceiptStore(redis, keys),
      inject: [REDIS, RoomKeys],
    },
    {
      provide: ReceiptReporter,
      useFactory: (channels: UserChannels, business: BusinessEvents, metrics: RoomMetrics) =>
        new ReceiptReporter(channels, business, metrics),
      inject: [UserChannels, BUSINESS_EVENTS, RoomMetrics],
    },
    {
      provide: ReceiptDesk,
      useFactory: (store: ReceiptStore, reporter: ReceiptReporter, clock: Clock) =>
        new ReceiptDesk(store, reporter, clock),
      inject: [ReceiptStore, ReceiptReporter, Clock],
    },
    {
      provide: ReceiptSweeper,
      useFactory: (store: ReceiptStore, reporter: ReceiptReporter, clock: Clock, config: RoomServiceConfig) =>
        new ReceiptSweeper(store, reporter, clock, config.RECEIPT_SWEEP_MS),
      inject: [ReceiptStore, ReceiptReporter, Clock, ROOM_SERVICE_CONFIG],
    },
  ],
  exports: [ReceiptStore],
})
export class ReceiptsModule {}
