import { RoomPublication } from '@live-im/broadcast';
import { Actor, RoomMessage, RpcError } from '@live-im/contracts';
import { MovableClock, TestRedis, testRedisClusterNodes } from '@live-im/testing';
import type { RedisClient, ReplicaAcks } from '@live-im/redis';
import { BroadcastOutlet } from '../broadcast/broadcast-outlet';
import { RoomBroadcast } from '../broadcast/room-broadcast';
import { UserChannels } from '../channels/user-channels';
import { GiftCatalogue, readGiftList } from '../gifts/gift-catalogue';
import { LogPolicy } from '../messages/log-policy';
import { MemberSends } from '../messages/member-sends';
import { RoomLog } from '../messages/room-log';
import { RoomPush } from '../messages/room-push';
import { SendPipeline } from '../messages/send-pipeline';
import { SendRates, SendRateLimits } from '../messages/send-rate';
import { RoomMetrics } from '../metrics/room-metrics';
import { BusinessEvents, BusinessReceipt } from '../receipts/business-events';
import { ReceiptDesk } from '../receipts/receipt-desk';
import { ReceiptReporter } from '../receipts/receipt-reporter';
import { ReceiptStore } from '../receipts/receipt-store';
import { RoomKeys } from '../rooms/room-keys';
import { RoomStore } from '../rooms/room.store';

/** Every publication the services hand to the broadcast cluster, in order. */
export class RecordingOutlet implements BroadcastOutlet {
  readonly published: RoomPublication[] = [];
  /** False: behave as a publisher with no active node. */
  routed = true;

  publish(message: RoomPublication): boolean {
    this.published.push(message);
    return this.routed;
  }

  /** Envelopes published on one channel (a room id, or `_<userId>`), parsed. */
  on(channel: string): RoomMessage[] {
    return this.published
      .filter((p) => p.roomId === channel)
      .map((p) => JSON.parse(p.body.toString('utf8')) as RoomMessage);
  }
}

export class RecordingBusiness implements BusinessEvents {
  readonly received: BusinessReceipt[] = [];

  /** The size of each batch, in order. */
  readonly batches: number[] = [];

  receipts(events: readonly BusinessReceipt[]): void {
    this.received.push(...events);
    this.batches.push(events.length);
  }
}

export interface FixtureOptions {
  rates?: Partial<SendRateLimits>;
  log?: Partial<{ normalMax: number; importantMax: number }>;
  resumeLimit?: number;
  importantAcks?: ReplicaAcks;
}

/** The room services wired as the app wires them, on a real Redis under a prefix of their own. */
export class RoomFixture {
  readonly testRedis: TestRedis;
  readonly redis: RedisClient;
  readonly keys: RoomKeys;
  readonly clock = new MovableClock();
  readonly metrics = new RoomMetrics();
  readonly outlet = new RecordingOutlet();
  readonly business = new RecordingBusiness();
  readonly broadcast: RoomBroadcast;
  readonly channels: UserChannels;
  readonly log: LogPolicy;
  readonly rates: SendRates;
  readonly rooms: RoomStore;
  readonly pipeline: SendPipeline;
  readonly sends: MemberSends;
  readonly receipts: ReceiptStore;
  readonly reporter: ReceiptReporter;
  readonly desk: ReceiptDesk;
  readonly push: RoomPush;
  readonly roomLog: RoomLog;
  private serial = 0;

  constructor(label: string, options: FixtureOptions = {}) {
    this.testRedis = new TestRedis(label);
    this.redis = this.testRedis.redis;
    this.keys = new RoomKeys(this.testRedis.keys);
    this.broadcast = new RoomBroadcast(this.outlet, this.metrics);
    this.channels = new UserChannels(this.redis, this.keys, this.broadcast, this.metrics);
    this.log = {
      normal: { maxLen: options.log?.normalMax ?? 2000, ttlMs: 86_400_000 },
      important: { maxLen: options.log?.importantMax ?? 10_000, ttlMs: 7 * 86_400_000 },
    };
    this.rates = new SendRates(this.keys, {
      userPoints: 1_000_000,
      userWindowSec: 5,
      roomPoints: 1_000_000,
      roomWindowSec: 1,
      ...options.rates,
    });
    this.rooms = new RoomStore(this.redis, this.keys, this.clock, this.broadcast, this.metrics, this.log);
    this.pipeline = new SendPipeline(
      this.redis,
      this.keys,
      this.clock,
      this.rates,
      this.broadcast,
      this.metrics,
      {
        log: this.log,
        dedupeTtlMs: 600_000,
        // As the app: a replica must hold each important send on a cluster run, none on one Redis.
        importantAcks: options.importantAcks ?? {
          replicas: testRedisClusterNodes() === undefined ? 0 : 1,
          timeoutMs: 1_000,
        },
      },
    );
    this.sends = new MemberSends(this.pipeline, new GiftCatalogue(readGiftList(undefined)));
    this.receipts = new ReceiptStore(this.redis, this.keys);
    this.reporter = new ReceiptReporter(this.channels, this.business, this.metrics);
    this.desk = new ReceiptDesk(this.receipts, this.reporter, this.clock);
    this.push = new RoomPush(
      this.redis,
      this.keys,
      this.clock,
      this.pipeline,
      this.rates,
      this.channels,
      this.receipts,
      this.metrics,
      { dedupeTtlMs: 600_000, receiptGraceMs: 5000 },
    );
    this.roomLog = new RoomLog(this.redis, this.keys, this.clock, {
      recentNormal: 30,
      recentImportant: 20,
      resumeLimit: options.resumeLimit ?? 200,
    });
  }

  /** A new open room. */
  async openRoom(): Promise<string> {
    const roomId = `room-${process.pid}-${++this.serial}`;
    await this.rooms.create({ roomId, title: 'Friday night', ownerId: 'u_host0001' });
    return roomId;
  }

  async cleanup(): Promise<void> {
    await this.testRedis.cleanup();
  }
}

export function user(name: string, role: Actor['role'] = 'user'): Actor {
  return { userId: `${role === 'guest' ? 'g' : 'u'}_${name}`, nickname: name, level: 3, role };
}

/** The RpcError a call rejects with. */
export async function rejection(work: Promise<unknown>): Promise<RpcError> {
  try {
    await work;
  } catch (error) {
    if (error instanceof RpcError) return error;
    throw error;
  }
  throw new Error('expected an RpcError');
}
