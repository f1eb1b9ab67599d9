import { LANE_NAMES, type RoomLoss, type RoomSubscriberStats } from '@live-im/broadcast';
import { freshMetricName, scrapeCounter } from '@live-im/health';
import { Gauge } from 'prom-client';

/** Rooms listed by the per-room loss gauge: the worst ones, so its label set stays bounded. */
export const LOSS_GAUGE_ROOMS = 20;

/** What the gauges read from the broadcast subscriber (RoomSubscriber). */
export interface BroadcastLossSource {
  readonly stats: RoomSubscriberStats;
  roomLosses(limit: number): RoomLoss[];
}

/**
 * Room messages this gateway never received from the broadcast cluster (lost inside a node that
 * died, or dropped on the way), read from the subscriber when scraped: per lane as counters, and
 * per room for the LOSS_GAUGE_ROOMS rooms that lost the most (docs/broadcast-protocol.md "Losses").
 */
export function trackBroadcastLosses(source: BroadcastLossSource): void {
  scrapeCounter(
    'gateway_broadcast_messages_lost_total',
    'Room messages in seq gaps that never arrived from the broadcast cluster (settled gaps), per lane',
    ['lane'],
    () => LANE_NAMES.map((lane) => [{ lane }, source.stats.lost[lane]]),
  );
  scrapeCounter(
    'gateway_broadcast_messages_late_total',
    'Room messages that arrived after their seq gap was reported (not lost; too late to deliver in order), per lane',
    ['lane'],
    () => LANE_NAMES.map((lane) => [{ lane }, source.stats.late[lane]]),
  );
  scrapeCounter(
    'gateway_user_channel_late_total',
    'User-channel messages (receipts, kicks, targeted) that came after their seq gap was reported: delivered out of order, not lost',
    [],
    () => [[{}, source.stats.channelLate]],
  );
  scrapeCounter(
    'gateway_room_states_received_total',
    'Room states (seq beacons with the online figures) received for rooms with local members',
    [],
    () => [[{}, source.stats.states]],
  );
  scrapeCounter(
    'gateway_beacon_gaps_total',
    'Seq gaps found because a room state named a seq that had not arrived within the grace',
    [],
    () => [[{}, source.stats.beaconGaps]],
  );
  new Gauge({
    name: freshMetricName('gateway_broadcast_room_messages_lost'),
    help: `Room messages lost since start, per lane, for the ${LOSS_GAUGE_ROOMS} rooms that lost the most`,
    labelNames: ['room', 'lane'],
    collect() {
      // Rebuilt on each scrape: a room pushed out of the worst ones leaves the label set.
      this.reset();
      for (const room of source.roomLosses(LOSS_GAUGE_ROOMS)) {
        for (const lane of LANE_NAMES) this.set({ room: room.roomId, lane }, room[lane]);
      }
    },
  });
}
