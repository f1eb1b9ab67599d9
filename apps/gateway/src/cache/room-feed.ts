import { type BatchListener, type RoomBatch, RoomSubscriber, type SeqGap } from '@live-im/broadcast';
import { type Lane, type RoomMessage, userOfChannel } from '@live-im/contracts';
import { Inject, Injectable } from '@nestjs/common';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config';
import { errorFields, GATEWAY_LOGGER, type GatewayLogger } from '../gateway.tokens';
import { GatewayRpc } from '../rpc/gateway-rpc';
import { EdgeCache } from './edge-cache';
import { EdgeCacheMetrics } from './edge-cache-metrics';
import { readHistoryPages } from './history-pages';

/** Batches and gaps a lane may queue behind a fill; past it what waits goes out at once. */
const MAX_QUEUED = 10_000;

/** Where the feed hands its batches: the fan-out subscribes here instead of at the subscriber. */
export interface BatchSource {
  onBatch(listener: BatchListener): unknown;
}

type Queued = { gap: false; batch: RoomBatch } | { gap: true; fromSeq: number; toSeq: number };

/** One room lane as the feed passes it on. */
interface LaneFeed {
  roomId: string;
  lane: Lane;
  /** The last seq handed to the fan-out. */
  delivered: number | undefined;
  /** What waits behind a fill under way, in order; the fill's gap is the head. */
  queue: Queued[];
  draining: boolean;
  /** Ends the wait for the fill under way (its queue overflowed). */
  giveUp: (() => void) | undefined;
  /** The lane's last fill failed, was too slow or found seqs missing: its clients pull for themselves. */
  clientsPull: boolean;
}

/**
 * Between the broadcast subscriber and the fan-out: every room batch goes into the edge cache and
 * on to the fan-out, in seq order. A gap (the subscriber's report, or a batch that does not
 * continue what the lane delivered) is filled once for the whole gateway from room-service
 * (room.history, a page per 200 seqs), and the lane's later batches wait behind it, so local
 * sockets get the lane in order with nothing missing and never pull it themselves. Gaps of a lane
 * reported while a fill is under way queue behind it, adjacent ones in one fill. A fill that takes
 * longer than GAP_FILL_WAIT_MS lets what waits go on (its messages follow when they come; clients
 * pull the range themselves meanwhile, their last resort). User channels pass straight through.
 */
@Injectable()
export class RoomFeed implements BatchSource {
  private readonly lanes = new Map<string, LaneFeed>();
  private sink: BatchListener = () => undefined;

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly subscriber: RoomSubscriber,
    private readonly cache: EdgeCache,
    private readonly rpc: GatewayRpc,
    private readonly metrics: EdgeCacheMetrics,
    @Inject(GATEWAY_LOGGER) private readonly log: GatewayLogger,
  ) {}

  /** The fan-out's batch listener (one). */
  onBatch(listener: BatchListener): void {
    this.sink = listener;
  }

  start(): void {
    this.subscriber.onGap((gap) => this.gap(gap));
    this.subscriber.onBatch((batch) => this.take(batch));
  }

  /** Room lanes with a fill under way or batches waiting. */
  get filling(): number {
    let lanes = 0;
    for (const feed of this.lanes.values()) if (feed.queue.length > 0) lanes += 1;
    return lanes;
  }

  /** The room has no local members any more: its lanes and cached messages go. */
  forget(roomId: string): void {
    this.lanes.delete(keyOf(roomId, 'normal'));
    this.lanes.delete(keyOf(roomId, 'important'));
    this.cache.forget(roomId);
  }

  take(batch: RoomBatch): void {
    if (userOfChannel(batch.roomId) !== undefined) {
      this.sink(batch);
      return;
    }
    const feed = this.feedOf(batch.roomId, batch.lane);
    if (feed.queue.length > 0) {
      this.enqueue(feed, { gap: false, batch });
      return;
    }
    const through = this.throughOf(feed);
    if (through !== undefined && batch.firstSeq > through + 1) {
      this.enqueue(feed, { gap: true, fromSeq: through + 1, toSeq: batch.firstSeq - 1 });
      this.enqueue(feed, { gap: false, batch });
      return;
    }
    this.forward(feed, batch);
  }

  /**
   * The seq the seq beacon tells this gateway's sockets for a lane whose latest is `latest`: held at
   * what this gateway has delivered, because a lane left behind is this gateway's to fill (its
   * subscriber reports the gap after the same grace the SDK waits, and one fill serves every local
   * socket), so its viewers do not each pull what is about to reach them. Once the lane's last fill
   * failed, was too slow or found seqs missing, the latest goes out as is: the clients' own pull is
   * then the last resort. User channels and lanes this gateway knows nothing of: the latest.
   */
  beaconSeq(roomId: string, lane: Lane, latest: number): number {
    if (userOfChannel(roomId) !== undefined) return latest;
    const feed = this.lanes.get(keyOf(roomId, lane));
    if (feed?.clientsPull === true) return latest;
    const through = feed === undefined ? this.cache.throughOf(roomId, lane) : this.throughOf(feed);
    return through === undefined ? latest : Math.min(latest, through);
  }

  /**
   * A gap the subscriber reports comes right before the batch past it. A user channel's gap has no
   * history to fill it from: its late seqs come from the node itself, and the subscriber delivers them.
   */
  gap(gap: SeqGap): void {
    if (userOfChannel(gap.roomId) !== undefined) return;
    const feed = this.feedOf(gap.roomId, gap.lane);
    const fromSeq = Math.max(gap.fromSeq, (this.throughOf(feed) ?? 0) + 1);
    if (fromSeq > gap.toSeq) return;
    this.enqueue(feed, { gap: true, fromSeq, toSeq: gap.toSeq });
  }

  private feedOf(roomId: string, lane: Lane): LaneFeed {
    const key = keyOf(roomId, lane);
    let feed = this.lanes.get(key);
    if (feed === undefined) {
      feed = {
        roomId,
        lane,
        delivered: undefined,
        queue: [],
        draining: false,
        giveUp: undefined,
        clientsPull: false,
      };
      this.lanes.set(key, feed);
    }
    return feed;
  }

  /** How far the lane is known: what was delivered, or what a join's room.join put in the cache. */
  private throughOf(feed: LaneFeed): number | undefined {
    const cached = this.cache.throughOf(feed.roomId, feed.lane);
    if (feed.delivered === undefined) return cached;
    return cached === undefined ? feed.delivered : Math.max(cached, feed.delivered);
  }

  private enqueue(feed: LaneFeed, item: Queued): void {
    const last = feed.queue[feed.queue.length - 1];
    // A gap right after a queued one that has not started yet: one fill for both.
    if (item.gap && last?.gap === true && last.toSeq + 1 === item.fromSeq && feed.queue.length > 1) {
      last.toSeq = item.toSeq;
    } else {
      feed.queue.push(item);
    }
    if (feed.queue.length > MAX_QUEUED) feed.giveUp?.();
    void this.drain(feed);
  }

  private async drain(feed: LaneFeed): Promise<void> {
    if (feed.draining) return;
    feed.draining = true;
    try {
      while (feed.queue.length > 0) {
        const head = feed.queue[0];
        if (!head.gap) {
          feed.queue.shift();
          this.forward(feed, head.batch);
          continue;
        }
        const fromSeq = Math.max(head.fromSeq, (this.throughOf(feed) ?? 0) + 1);
        if (fromSeq <= head.toSeq) await this.fill(feed, fromSeq, head.toSeq);
        feed.queue.shift();
      }
    } catch (error) {
      this.log.error({ ...errorFields(error), roomId: feed.roomId, lane: feed.lane }, 'gap fill failed');
      for (const item of feed.queue.splice(0)) if (!item.gap) this.forward(feed, item.batch);
    } finally {
      feed.draining = false;
    }
  }

  /** One fill: waits for room-service up to GAP_FILL_WAIT_MS, then lets the queue go on without it. */
  private async fill(feed: LaneFeed, fromSeq: number, toSeq: number): Promise<void> {
    const reading = this.read(feed.roomId, feed.lane, fromSeq, toSeq);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), this.config.GAP_FILL_WAIT_MS);
      feed.giveUp = () => resolve('late');
    });
    const outcome = await Promise.race([
      reading.then(
        (messages) => ({ messages }),
        (error: unknown) => ({ error }),
      ),
      late,
    ]);
    clearTimeout(timer);
    feed.giveUp = undefined;
    if (outcome === 'late') {
      feed.clientsPull = true;
      this.metrics.releasedEarly(feed.lane, feed.queue.filter((item) => !item.gap).length);
      this.log.warn(
        { roomId: feed.roomId, lane: feed.lane, fromSeq, toSeq },
        'gap fill is slow; later batches go on without it',
      );
      reading.then(
        (messages) => this.delivered(feed, fromSeq, toSeq, messages),
        (error: unknown) => this.failed(feed, fromSeq, toSeq, error),
      );
      return;
    }
    if ('error' in outcome) this.failed(feed, fromSeq, toSeq, outcome.error);
    else this.delivered(feed, fromSeq, toSeq, outcome.messages);
  }

  /** The range's messages from the room log (what it lacks of the range stays a gap clients see). */
  private async read(roomId: string, lane: Lane, fromSeq: number, toSeq: number): Promise<RoomMessage[]> {
    const answer = await readHistoryPages(this.rpc, roomId, lane, fromSeq - 1, toSeq - fromSeq + 1);
    return answer.messages.filter((message) => message.seq <= toSeq);
  }

  /** The fill's messages go out as batches of consecutive seqs: a seq the log lacks stays a gap clients see. */
  private delivered(feed: LaneFeed, fromSeq: number, toSeq: number, messages: RoomMessage[]): void {
    const size = toSeq - fromSeq + 1;
    this.metrics.gapFill(feed.lane, 'filled', messages.length, size - messages.length);
    if (this.lanes.get(keyOf(feed.roomId, feed.lane)) !== feed) return;
    const complete = messages.length === size;
    feed.clientsPull = !complete;
    let start = 0;
    for (let i = 1; i <= messages.length; i += 1) {
      if (i < messages.length && messages[i].seq === messages[i - 1].seq + 1) continue;
      const run = messages.slice(start, i);
      if (run.length > 0) {
        this.forward(feed, {
          roomId: feed.roomId,
          lane: feed.lane,
          // A complete fill vouches for its whole range; a partial one only for what it found.
          firstSeq: complete ? fromSeq : run[0].seq,
          lastSeq: complete ? toSeq : run[run.length - 1].seq,
          count: run.length,
          body: Buffer.from(JSON.stringify(run)),
        });
      }
      start = i;
    }
  }

  private failed(feed: LaneFeed, fromSeq: number, toSeq: number, error: unknown): void {
    feed.clientsPull = true;
    this.metrics.gapFill(feed.lane, 'failed', 0, toSeq - fromSeq + 1);
    this.log.warn(
      { ...errorFields(error), roomId: feed.roomId, lane: feed.lane, fromSeq, toSeq },
      'gap fill failed; clients pull the range themselves',
    );
  }

  private forward(feed: LaneFeed, batch: RoomBatch): void {
    const after = feed.delivered;
    if (after !== undefined && batch.firstSeq <= after) {
      // A fill already delivered the start of this batch (the node's copy came after it): only
      // what lies beyond goes on, so every seq reaches the sockets once and in order.
      const rest = batchAfter(batch, after);
      if (rest === undefined) return;
      batch = rest;
    }
    if (this.lanes.get(keyOf(feed.roomId, feed.lane)) === feed) {
      feed.delivered = Math.max(feed.delivered ?? 0, batch.lastSeq);
      if (this.config.EDGE_CACHE) this.cache.append(batch);
    }
    this.sink(batch);
  }
}

/** The part of a batch past `after`, or undefined when nothing is left; the body is re-encoded. */
function batchAfter(batch: RoomBatch, after: number): RoomBatch | undefined {
  if (batch.lastSeq <= after) return undefined;
  const rest = (JSON.parse(batch.body.toString('utf8')) as RoomMessage[]).filter((m) => m.seq > after);
  if (rest.length === 0) return undefined;
  return {
    ...batch,
    firstSeq: after + 1,
    count: rest.length,
    body: Buffer.from(JSON.stringify(rest)),
  };
}

function keyOf(roomId: string, lane: Lane): string {
  return `${lane === 'important' ? 'i' : 'n'}:${roomId}`;
}
