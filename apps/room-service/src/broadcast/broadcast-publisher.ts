import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { RoomPublication, RoomPublisher } from '@live-im/broadcast';
import { loadBusSecurity } from '@live-im/config';
import { freshMetricName, scrapeCounter } from '@live-im/health';
import { Gauge } from 'prom-client';
import { ROOM_SERVICE_CONFIG, RoomServiceConfig } from '../config';
import { BroadcastOutlet } from './broadcast-outlet';

/**
 * This worker's RoomPublisher: a `publisher` member of the broadcast cluster, started with the app
 * and closed on shutdown, after the messages handed to it have had their chance to leave.
 */
@Injectable()
export class BroadcastPublisher implements BroadcastOutlet, OnModuleInit, OnApplicationShutdown {
  readonly publisher: RoomPublisher;

  constructor(@Inject(ROOM_SERVICE_CONFIG) config: RoomServiceConfig) {
    this.publisher = new RoomPublisher({
      managerRouter: config.NM_ROUTER,
      managerPub: config.NM_PUB,
      id: config.publisherId,
      region: config.REGION,
      heartbeatMs: config.HEARTBEAT_MS,
      logger: new Logger(RoomPublisher.name),
      security: loadBusSecurity(config),
    });
    const publisher = this.publisher;
    scrapeCounter(
      'room_service_publisher_messages_total',
      'Room messages by publisher outcome',
      ['outcome'],
      () => {
        const stats = publisher.stats;
        return [
          [{ outcome: 'published' }, stats.published],
          [{ outcome: 'no_route' }, stats.noRoute],
          [{ outcome: 'overflow' }, stats.overflow],
          [{ outcome: 'unsent' }, stats.unsent],
        ];
      },
    );
    scrapeCounter(
      'room_service_publisher_room_states_unsent_total',
      'Room states (seq beacons) whose push a broadcast node did not take in time; the next round sends fresh ones',
      [],
      () => [[{}, publisher.stats.statesUnsent]],
    );
    new Gauge({
      name: freshMetricName('room_service_publisher_nodes'),
      help: 'Active broadcast nodes this worker pushes to',
      collect() {
        this.set(publisher.stats.nodes);
      },
    });
  }

  publish(message: RoomPublication): boolean {
    return this.publisher.publish(message);
  }

  async onModuleInit(): Promise<void> {
    await this.publisher.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.publisher.close();
  }
}
