import { freshMetricName, LabelValues, scrapeCounter } from '@live-im/health';
import { LaneCode } from '@live-im/broadcast';
import { Injectable } from '@nestjs/common';
import { Gauge, Histogram } from 'prom-client';
import type { BroadcastNode } from './node';
import type { RelayNode } from './relay';
import type { SubscriptionBook } from './shared/subscription-book';

const PREFIX = 'broadcast_node_';
/** Every BATCH_SAMPLE-th frame feeds the batch-size histogram: the distribution of a sample is the distribution. */
const BATCH_SAMPLE = 16;

/**
 * Prometheus view of the node on the default registry. Counts are read from the core when scraped,
 * so the hot path pays nothing for them; only the batch-size histogram is fed, by a sample of frames.
 */
@Injectable()
export class NodeMetrics {
  private readonly batchSize: Histogram;
  private batches = 0;

  constructor() {
    this.batchSize = new Histogram({
      name: freshMetricName(`${PREFIX}batch_messages`),
      help: 'Messages per published frame (sampled), per lane',
      labelNames: ['lane'],
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512],
    });
  }

  /** RoomMerger hook: one frame of `count` messages left on `lane`. */
  observeBatch(lane: LaneCode, count: number): void {
    this.batches = (this.batches + 1) % BATCH_SAMPLE;
    if (this.batches === 0)
      this.batchSize.observe({ lane: lane === LaneCode.important ? 'important' : 'normal' }, count);
  }

  trackBroadcast(node: BroadcastNode): void {
    const c = node.counters;
    monotonic('msgs_in_total', 'Well-formed messages read from PULL, per lane', ['lane'], () => [
      [{ lane: 'important' }, c.importantIn],
      [{ lane: 'normal' }, c.normalIn],
    ]);
    monotonic('msgs_out_total', 'Messages published in frames, per lane', ['lane'], () => [
      [{ lane: 'important' }, c.importantOut],
      [{ lane: 'normal' }, c.normalOut],
    ]);
    monotonic('batches_out_total', 'Frames published, per lane', ['lane'], () => [
      [{ lane: 'important' }, c.importantBatches],
      [{ lane: 'normal' }, c.normalBatches],
    ]);
    monotonic('dropped_total', 'Messages dropped, per reason', ['reason'], () => [
      [{ reason: 'cap' }, c.droppedCap],
      [{ reason: 'noSubscriber' }, c.noSubscriber],
      [{ reason: 'sendFailure' }, c.sendFailures],
      [{ reason: 'late' }, c.late],
      [{ reason: 'shutdown' }, c.droppedShutdown],
      [{ reason: 'test_hook' }, node.droppedByTestHook],
    ]);
    const states = node.roomStates.counters;
    monotonic(
      'room_states_total',
      'Room states (seq beacons) read from PULL, per outcome',
      ['outcome'],
      () => [
        [{ outcome: 'forwarded' }, states.forwarded],
        [{ outcome: 'no_subscriber' }, states.noSubscriber],
        [{ outcome: 'malformed' }, states.malformed],
      ],
    );
    monotonic(
      'out_of_order_total',
      'Messages that arrived ahead of a missing seq of their room lane and waited for it',
      [],
      () => [[{}, c.outOfOrder]],
    );
    monotonic(
      'reorder_gaps_total',
      'Missing seqs the node stopped waiting for and published past',
      [],
      () => [[{}, c.reorderGaps]],
    );
    monotonic(
      'reorder_skipped_seqs_total',
      'Seqs inside the given-up gaps (of rooms: readable through history; of user channels: published late if they come)',
      [],
      () => [[{}, c.reorderSkippedSeqs]],
    );
    monotonic(
      'channel_late_total',
      'User-channel messages behind the next seq of their channel (given up after the hold): published on their own, out of order, not dropped',
      [],
      () => [[{}, c.channelLate]],
    );
    // Room-state records too: malformed is malformed, whatever command the message claimed.
    monotonic(
      'malformed_total',
      'PULL messages, message metas or room-state records that broke BCAST/1; dropped',
      [],
      () => [[{}, c.malformed + states.malformed]],
    );
    this.trackSubscriptions(() => node.load(), node.subscriptions);
  }

  trackRelay(relay: RelayNode): void {
    const c = relay.counters;
    monotonic('relay_msgs_total', 'Messages relayed, per direction', ['direction'], () => [
      [{ direction: 'in' }, c.msgsIn],
      [{ direction: 'out' }, c.msgsOut],
    ]);
    monotonic('relay_batches_total', 'Frames relayed, per direction', ['direction'], () => [
      [{ direction: 'in' }, c.batchesIn],
      [{ direction: 'out' }, c.batchesOut],
    ]);
    monotonic('malformed_total', 'Upstream messages that were not a batch; dropped', [], () => [
      [{}, c.malformed],
    ]);
    monotonic('upstream_subscription_changes_total', 'Subscriptions forwarded upstream', ['change'], () => [
      [{ change: 'subscribe' }, c.upstreamSubscribes],
      [{ change: 'unsubscribe' }, c.upstreamUnsubscribes],
    ]);
    new Gauge({
      name: freshMetricName(`${PREFIX}upstream_connected`),
      help: 'Broadcast nodes the relay is connected to',
      collect() {
        this.set(relay.connected().length);
      },
    });
    this.trackSubscriptions(() => relay.load(), relay.subscriptions);
  }

  private trackSubscriptions(
    load: () => { rooms: number; subscriptions: number },
    book: SubscriptionBook,
  ): void {
    new Gauge({
      name: freshMetricName(`${PREFIX}subscribed_topics`),
      help: 'Topics with at least one subscriber, per kind: room, or user (a user channel, held only by its owner node)',
      labelNames: ['kind'],
      collect() {
        for (const kind of ['room', 'user'] as const) this.set({ kind }, book.countsOf(kind).topics);
      },
    });
    new Gauge({
      name: freshMetricName(`${PREFIX}topic_subscriptions`),
      help: 'Subscriptions held by subscribers, per topic kind (room, user), summed over topics',
      labelNames: ['kind'],
      collect() {
        for (const kind of ['room', 'user'] as const) this.set({ kind }, book.countsOf(kind).subscriptions);
      },
    });
    new Gauge({
      name: freshMetricName(`${PREFIX}rooms`),
      help: 'Rooms with at least one subscriber',
      collect() {
        this.set(load().rooms);
      },
    });
    new Gauge({
      name: freshMetricName(`${PREFIX}subscriptions`),
      help: 'Room subscriptions held by subscribers, summed over rooms',
      collect() {
        this.set(load().subscriptions);
      },
    });
  }
}

/** A counter named under this app's prefix that follows one of the core's own counts. */
function monotonic(
  name: string,
  help: string,
  labelNames: string[],
  read: () => Array<[LabelValues, number]>,
): void {
  scrapeCounter(`${PREFIX}${name}`, help, labelNames, read);
}
