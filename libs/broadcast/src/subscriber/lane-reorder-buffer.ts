import { RoomBatch, SeqGap } from './room-batch';

export interface ReorderSink {
  deliver(batch: RoomBatch): void;
  gap(gap: SeqGap): void;
  /** A batch whose every seq was delivered already. */
  duplicate(batch: RoomBatch): void;
  /** `seqs` seqs of a reported gap never arrived within the settle time (or the lane was discarded): lost. */
  lost(gap: SeqGap, seqs: number): void;
  /** `seqs` seqs of a reported gap arrived after it was reported: not lost, too late to deliver in order. */
  late(gap: SeqGap, seqs: number): void;
}

interface WaitingBatch {
  batch: RoomBatch;
  arrivedAt: number;
}

/** A reported gap whose seqs may still arrive late; what is left of it when it settles is lost. */
interface OpenGap {
  gap: SeqGap;
  fromSeq: number;
  toSeq: number;
  reportedAt: number;
}

/** How long a reported gap stays open for late arrivals before its seqs count as lost. */
export const DEFAULT_LOSS_SETTLE_MS = 5000;
/** Open gaps a lane keeps; past this the oldest settles at once (bounded memory). */
export const MAX_OPEN_GAPS = 64;

/**
 * The subscriber's reorder buffer of one room lane: puts its batches back in seq order, reports
 * gaps and tells late seqs from lost ones (docs/broadcast-protocol.md "Subscribers").
 * Batches come from whichever node owns the room, and a room that moves arrives from two nodes
 * for a moment, so a batch ahead of the next expected seq waits for the missing ones; after the
 * window it goes anyway and the missing range is reported as a gap. The first batch sets the
 * baseline: earlier seqs are history the gateway pulls itself.
 *
 * A reported gap stays open for `settleMs`: seqs of it that still arrive are late, not lost; what
 * has not arrived when it settles is reported lost, once.
 */
export class LaneReorderBuffer {
  /** The next seq to deliver; undefined until the first batch. */
  private next: number | undefined;
  /** Sorted by firstSeq. */
  private readonly waiting: WaitingBatch[] = [];
  /** In report order, so the oldest settles first. */
  private openGaps: OpenGap[] = [];

  constructor(
    private readonly sink: ReorderSink,
    private readonly settleMs = DEFAULT_LOSS_SETTLE_MS,
  ) {}

  get hasWaiting(): boolean {
    return this.waiting.length > 0;
  }

  /** Reported gaps wait to settle: settle() has work to do. */
  get hasOpenGaps(): boolean {
    return this.openGaps.length > 0;
  }

  get nextSeq(): number | undefined {
    return this.next;
  }

  /** Takes one batch; true when it (or others) still wait for missing seqs. */
  offer(batch: RoomBatch, now: number): boolean {
    if (this.openGaps.length > 0) this.fill(batch);
    const next = this.next;
    if (next !== undefined && batch.lastSeq < next) {
      this.sink.duplicate(batch);
    } else if (next === undefined || batch.firstSeq <= next) {
      // A batch overlapping what was delivered goes whole: its body cannot be split unparsed,
      // and a repeated envelope is better than a lost one.
      this.deliver(batch);
      this.drain();
    } else {
      this.park(batch, now);
    }
    return this.waiting.length > 0;
  }

  /** Delivers every batch that waited `windowMs` or more (and all before it), reporting gaps. */
  expire(now: number, windowMs: number): void {
    let last = -1;
    for (let i = 0; i < this.waiting.length; i += 1) {
      if (now - this.waiting[i].arrivedAt >= windowMs) last = i;
    }
    for (let i = 0; i <= last; i += 1) {
      const { batch } = this.waiting.shift() as WaitingBatch;
      const next = this.next as number;
      if (batch.lastSeq < next) {
        this.sink.duplicate(batch);
        continue;
      }
      if (batch.firstSeq > next) this.reportGap(batch, next, now);
      this.deliver(batch);
    }
    if (last >= 0) this.drain();
  }

  /**
   * The room's owner says the lane has reached `latestSeq` (a seq beacon). With nothing waiting,
   * seqs between the next expected one and it never came: reported as a gap, like one between
   * batches, and the lane moves past them. True when a gap was reported. A lane without a first
   * batch has no baseline to measure from, and one with batches waiting leaves it to the window.
   */
  reach(roomId: string, lane: RoomBatch['lane'], latestSeq: number, now: number): boolean {
    const next = this.next;
    if (next === undefined || latestSeq < next || this.waiting.length > 0) return false;
    this.reportGap({ roomId, lane, firstSeq: latestSeq + 1 }, next, now);
    this.next = latestSeq + 1;
    return true;
  }

  /** Counts what is left of the gaps reported `settleMs` or more ago as lost. */
  settle(now: number): void {
    while (this.openGaps.length > 0 && now - this.openGaps[0].reportedAt >= this.settleMs) {
      this.settleGap(this.openGaps.shift() as OpenGap);
    }
  }

  /** The lane is being forgotten (its room left): open gaps can no longer be filled, so they settle now. */
  discard(): void {
    const open = this.openGaps;
    this.openGaps = [];
    for (const gap of open) this.settleGap(gap);
  }

  private reportGap(batch: Pick<RoomBatch, 'roomId' | 'lane' | 'firstSeq'>, next: number, now: number): void {
    const gap: SeqGap = { roomId: batch.roomId, lane: batch.lane, fromSeq: next, toSeq: batch.firstSeq - 1 };
    this.sink.gap(gap);
    this.openGaps.push({ gap, fromSeq: gap.fromSeq, toSeq: gap.toSeq, reportedAt: now });
    if (this.openGaps.length > MAX_OPEN_GAPS) this.settleGap(this.openGaps.shift() as OpenGap);
  }

  /** Takes the batch's seqs out of the open gaps it overlaps: they arrived, late. */
  private fill(batch: RoomBatch): void {
    const remaining: OpenGap[] = [];
    for (const open of this.openGaps) {
      const from = Math.max(open.fromSeq, batch.firstSeq);
      const to = Math.min(open.toSeq, batch.lastSeq);
      if (from > to) {
        remaining.push(open);
        continue;
      }
      this.sink.late(open.gap, to - from + 1);
      // What is left of the gap on either side of the batch stays open.
      if (open.fromSeq < from) remaining.push({ ...open, toSeq: from - 1 });
      if (to < open.toSeq) remaining.push({ ...open, fromSeq: to + 1 });
    }
    this.openGaps = remaining;
  }

  private settleGap(open: OpenGap): void {
    this.sink.lost(open.gap, open.toSeq - open.fromSeq + 1);
  }

  private park(batch: RoomBatch, now: number): void {
    let at = this.waiting.length;
    while (at > 0 && this.waiting[at - 1].batch.firstSeq > batch.firstSeq) at -= 1;
    const before = this.waiting[at - 1];
    if (before !== undefined && before.batch.firstSeq === batch.firstSeq) {
      this.sink.duplicate(batch);
      return;
    }
    this.waiting.splice(at, 0, { batch, arrivedAt: now });
  }

  /** Delivers waiting batches that have become contiguous. */
  private drain(): void {
    while (this.waiting.length > 0) {
      const head = this.waiting[0];
      const next = this.next as number;
      if (head.batch.firstSeq > next) return;
      this.waiting.shift();
      if (head.batch.lastSeq < next) this.sink.duplicate(head.batch);
      else this.deliver(head.batch);
    }
  }

  private deliver(batch: RoomBatch): void {
    this.next = batch.lastSeq + 1;
    this.sink.deliver(batch);
  }
}
