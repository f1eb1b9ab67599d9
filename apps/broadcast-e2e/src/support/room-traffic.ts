import { performance } from 'node:perf_hooks';
import type { RoomBatch, RoomPublisher, RoomSubscriber, SeqGap } from '@live-im/broadcast';
import type { Lane, RoomMessage } from '@live-im/contracts';
import { sleep, waitFor } from '@live-im/testing';

export const LANES: readonly Lane[] = ['normal', 'important'];

/** The key of one room lane. */
export function laneKey(roomId: string, lane: Lane): string {
  return `${roomId}|${lane}`;
}

export function roomIds(label: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${label}-room-${i}`);
}

/** The envelope as room-service makes it; `body.sentAt` is the publisher's monotonic clock. */
export type Envelope = RoomMessage & { body: { text: string; sentAt: number } };

/** What became of one published seq. */
export interface SentMessage {
  seq: number;
  /** performance.now() at publish. */
  at: number;
  /** The node the publisher routed it to. */
  owner: string | undefined;
  /** publish() took it (false: no route or full queue). */
  accepted: boolean;
}

/**
 * The room-service side of a test: assigns each room lane gapless seqs from 1, builds the JSON
 * envelopes, publishes them and remembers what went where, when.
 */
export class RoomTraffic {
  readonly sent = new Map<string, SentMessage[]>();
  total = 0;
  refused = 0;

  constructor(private readonly publisher: RoomPublisher) {}

  publish(roomId: string, lane: Lane): SentMessage {
    const key = laneKey(roomId, lane);
    let log = this.sent.get(key);
    if (log === undefined) {
      log = [];
      this.sent.set(key, log);
    }
    const seq = log.length + 1;
    const at = performance.now();
    const envelope: Envelope = {
      id: `${key}#${seq}`,
      roomId,
      lane,
      seq,
      type: lane === 'important' ? 'gift' : 'chat',
      from: { userId: 'u_e2eloader', nickname: 'loader', level: 1 },
      body: { text: `message ${seq} of ${roomId}`, sentAt: at },
      ts: Date.now(),
    };
    const owner = this.publisher.ownerOf(roomId);
    const accepted = this.publisher.publish({
      roomId,
      lane,
      seq,
      body: Buffer.from(JSON.stringify(envelope)),
    });
    const message = { seq, at, owner, accepted };
    log.push(message);
    this.total += 1;
    if (!accepted) this.refused += 1;
    return message;
  }

  /** Seqs published so far on a room lane. */
  lastSeq(roomId: string, lane: Lane): number {
    return this.sent.get(laneKey(roomId, lane))?.length ?? 0;
  }

  /** Keeps publishing at `ratePerSec` over `rooms` (round robin) until stopped. */
  start(rooms: readonly string[], options: LoadOptions): LoadRun {
    return new LoadRun(this, rooms, options);
  }
}

export interface LoadOptions {
  ratePerSec: number;
  /** Lane of the i-th message; default: every 4th is important. */
  lane?: (i: number) => Lane;
  /** Hard bound on messages, so a run that is never stopped still ends. */
  maxMessages: number;
}

/** A paced publishing loop: publishes in small bursts every few ms, catching up with the clock. */
export class LoadRun {
  private stopped = false;
  private issued = 0;
  private readonly done: Promise<void>;

  constructor(
    private readonly traffic: RoomTraffic,
    private readonly rooms: readonly string[],
    private readonly options: LoadOptions,
  ) {
    this.done = this.run();
  }

  get published(): number {
    return this.issued;
  }

  /** Waits until `count` more messages were published than had been when called. */
  async progress(count: number, timeoutMs = 20_000): Promise<void> {
    const target = this.issued + count;
    await waitFor(() => this.issued >= target, {
      timeoutMs,
      intervalMs: 10,
      what: `${count} more messages published`,
    });
  }

  /** Resolves once maxMessages were published. */
  async finished(): Promise<number> {
    await this.done;
    return this.issued;
  }

  async stop(): Promise<number> {
    this.stopped = true;
    await this.done;
    return this.issued;
  }

  private async run(): Promise<void> {
    const lane = this.options.lane ?? ((i: number) => (i % 4 === 3 ? 'important' : 'normal'));
    const started = performance.now();
    while (!this.stopped && this.issued < this.options.maxMessages) {
      const due = Math.min(
        this.options.maxMessages,
        Math.floor(((performance.now() - started) * this.options.ratePerSec) / 1000),
      );
      // Never more than a burst at once: a stalled loop must not flood the nodes when it wakes.
      const burst = Math.min(due - this.issued, Math.max(10, this.options.ratePerSec / 50));
      for (let i = 0; i < burst; i += 1) {
        const n = this.issued;
        this.traffic.publish(this.rooms[n % this.rooms.length], lane(n));
        this.issued += 1;
      }
      // Kept: the pacing tick of a load generator (a rate, not a wait for something to happen).
      await sleep(4);
    }
  }
}

/** One room lane as a subscriber saw it. */
export interface LaneLog {
  /** Seqs in delivery order. */
  seqs: number[];
  received: Set<number>;
  last: number;
}

/**
 * The gateway side of a test: every batch a subscriber delivers, parsed (the body is a JSON array
 * of envelopes), checked against its batch meta and recorded per room lane, with every gap event.
 */
export class DeliveryLog {
  readonly lanes = new Map<string, LaneLog>();
  readonly gaps: SeqGap[] = [];
  /** Broken promises: envelopes in the wrong batch, counts that disagree, repeated or reordered seqs. */
  readonly violations: string[] = [];
  duplicates = 0;
  reordered = 0;
  messages = 0;

  constructor(
    readonly subscriber: RoomSubscriber,
    private readonly onEnvelope?: (envelope: Envelope, arrivedAt: number) => void,
  ) {
    subscriber.onBatch((batch) => this.onBatch(batch));
    subscriber.onGap((gap) => this.gaps.push(gap));
  }

  lane(roomId: string, lane: Lane): LaneLog {
    const key = laneKey(roomId, lane);
    let log = this.lanes.get(key);
    if (log === undefined) {
      log = { seqs: [], received: new Set(), last: 0 };
      this.lanes.set(key, log);
    }
    return log;
  }

  /** Seqs reported missing by gap events on a room lane. */
  gapSeqs(roomId: string, lane: Lane): Set<number> {
    const seqs = new Set<number>();
    for (const gap of this.gaps) {
      if (gap.roomId !== roomId || gap.lane !== lane) continue;
      for (let seq = gap.fromSeq; seq <= gap.toSeq; seq += 1) seqs.add(seq);
    }
    return seqs;
  }

  private onBatch(batch: RoomBatch): void {
    const now = performance.now();
    const envelopes = JSON.parse(batch.body.toString('utf8')) as Envelope[];
    if (envelopes.length !== batch.count) {
      this.violation(`${batch.roomId}/${batch.lane}: count ${batch.count} but ${envelopes.length} envelopes`);
    }
    const log = this.lane(batch.roomId, batch.lane);
    for (const envelope of envelopes) {
      if (envelope.roomId !== batch.roomId || envelope.lane !== batch.lane) {
        this.violation(`${envelope.id} delivered in a batch of ${batch.roomId}/${batch.lane}`);
      }
      if (envelope.seq < batch.firstSeq || envelope.seq > batch.lastSeq) {
        this.violation(`${envelope.id} outside its batch's seqs ${batch.firstSeq}..${batch.lastSeq}`);
      }
      if (log.received.has(envelope.seq)) {
        this.duplicates += 1;
        this.violation(`${envelope.id} delivered twice`);
      } else if (envelope.seq < log.last) {
        this.reordered += 1;
        this.violation(`${envelope.id} delivered after seq ${log.last}`);
      }
      log.received.add(envelope.seq);
      log.seqs.push(envelope.seq);
      log.last = Math.max(log.last, envelope.seq);
      this.messages += 1;
      this.onEnvelope?.(envelope, now);
    }
  }

  private violation(what: string): void {
    if (this.violations.length < 50) this.violations.push(what);
  }
}

/** Seqs of each room lane that `traffic` published and `log` never delivered, as `key: [seqs]`. */
export function missingSeqs(
  traffic: RoomTraffic,
  log: DeliveryLog,
  include: (key: string, message: SentMessage) => boolean = () => true,
): Record<string, number[]> {
  const missing: Record<string, number[]> = {};
  for (const [key, sent] of traffic.sent) {
    const received = log.lanes.get(key)?.received;
    for (const message of sent) {
      if (received?.has(message.seq) || !include(key, message)) continue;
      (missing[key] ??= []).push(message.seq);
    }
  }
  return missing;
}

export function countOf(missing: Record<string, number[]>): number {
  return Object.values(missing).reduce((sum, seqs) => sum + seqs.length, 0);
}

/** Waits until the log holds `count` messages (and no more arrive for a moment). */
export async function waitForMessages(log: DeliveryLog, count: number, timeoutMs = 15_000): Promise<void> {
  await waitFor(() => log.messages >= count, {
    timeoutMs,
    intervalMs: 20,
    what: `${count} messages delivered to ${log.subscriber.membership.id} (at ${log.messages})`,
  });
}
