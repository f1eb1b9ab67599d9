import { Injectable } from '@nestjs/common';
import { freshMetricName } from '@live-im/health';
import { ErrorCode, Lane, MessageType, ReceiptStatus } from '@live-im/contracts';
import { Counter } from 'prom-client';

const PREFIX = 'room_service_';

function counter(name: string, help: string, labelNames: string[] = []): Counter {
  return new Counter({ name: freshMetricName(`${PREFIX}${name}`), help, labelNames });
}

/** room-service's business counters on prom-client's default registry (served at /metrics). */
@Injectable()
export class RoomMetrics {
  private readonly appended = counter(
    'messages_appended_total',
    'Messages written to a room log, per lane and type',
    ['lane', 'type'],
  );
  private readonly direct = counter(
    'direct_messages_total',
    'Messages published on user channels, per type',
    ['type'],
  );
  private readonly duplicates = counter(
    'duplicates_total',
    'Sends answered with the first result of their clientMsgId',
  );
  private readonly republishes = counter(
    'important_republished_total',
    'Important-lane sends answered as a duplicate whose logged envelope was published again (its first attempt may never have been broadcast)',
  );
  private readonly rejected = counter('rejected_total', 'Sends and likes refused, per error code', ['code']);
  private readonly unpublished = counter(
    'publish_dropped_total',
    'Messages not handed to a broadcast node (no active node, or its queue full); clients pull them from the log',
  );
  private readonly likes = counter('likes_flushed_total', 'Likes written to rooms by aggregate flushes');
  private readonly likeMessages = counter('like_messages_total', 'Aggregate like messages appended');
  private readonly receipts = counter('receipts_total', 'Receipts recorded, per status', ['status']);
  private readonly businessEvents = counter(
    'business_events_total',
    'Business events (receipts carried by business.receipts calls) by outcome: delivered (a business worker answered) or lost',
    ['event', 'outcome'],
  );
  private readonly businessLost = counter(
    'business_events_lost_total',
    'Business events lost, by reason: the error code (SERVICE_UNAVAILABLE: no business worker) or IN_FLIGHT_LIMIT',
    ['event', 'reason'],
  );

  private readonly lost = counter(
    'messages_lost_total',
    'Logged room messages a Redis failover took back (the promoted replica had not got them), by lane: seen as a lane seq given out again. Each worker counts what it saw, so an upper bound; the important lane loses none it acknowledged',
    ['lane'],
  );
  private readonly unreplicated = counter(
    'sends_unreplicated_total',
    'Important-lane sends written on the master but not held by a replica within REDIS_REPLICA_WAIT_MS: refused with SERVICE_UNAVAILABLE (the sender retries with its clientMsgId) and not broadcast',
  );

  private readonly degraded = counter(
    'sends_degraded_total',
    'Important-lane sends acknowledged with fewer replicas than REDIS_IMPORTANT_REPLICAS because the master had no more connected (after a failover, until a replica rejoins)',
  );

  sendDegraded(): void {
    this.degraded.inc();
  }

  messagesLost(lane: Lane, count: number): void {
    this.lost.inc({ lane }, count);
  }

  sendUnreplicated(): void {
    this.unreplicated.inc();
  }

  messageAppended(lane: Lane, type: MessageType): void {
    this.appended.inc({ lane, type });
  }

  directMessage(type: MessageType, count = 1): void {
    this.direct.inc({ type }, count);
  }

  duplicate(): void {
    this.duplicates.inc();
  }

  republished(): void {
    this.republishes.inc();
  }

  reject(code: ErrorCode): void {
    this.rejected.inc({ code });
  }

  publishDropped(): void {
    this.unpublished.inc();
  }

  likesFlushed(likes: number): void {
    this.likes.inc(likes);
    this.likeMessages.inc();
  }

  receipt(status: ReceiptStatus): void {
    this.receipts.inc({ status });
  }

  /** One business event's outcome; `reason` says why a lost one was lost. */
  businessEvent(event: string, outcome: 'delivered' | 'lost', reason?: string, count = 1): void {
    this.businessEvents.inc({ event, outcome }, count);
    if (outcome === 'lost') this.businessLost.inc({ event, reason: reason ?? 'unknown' }, count);
  }
}
