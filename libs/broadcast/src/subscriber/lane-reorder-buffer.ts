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
  /**
   * A batch delivered behind the lane's next seq (`deliverLate` lanes only): its seqs were missing
   * and came late. Delivered through `deliver` as well; this only counts it.
   */
  deliveredLate?(batch: RoomBatch): void;
}

export interface LaneReorderOptions {
  /** How long a reported gap stays open for late arrivals before its seqs count as lost. */
  settleMs?: number;
  /**
   * Deliver a batch whose seqs lie in an open gap instead of dropping it as too late (user
   * channels: they have no history to refill a gap from, so a late seq is delivered out of order
   * rather than lost). Seqs below the lane's first batch count as such a gap too, one that is not
   * reported and not lost when it settles: they were never expected, but may still come.
   */
  deliverLate?: boolean;
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
  /** The seqs below a deliverLate lane's first batch: never reported, so neither late nor lost. */
  silent?: boolean;
}

/** How long a reported gap stays open for late arrivals before its seqs count as lost. */
export const DEFAULT_LOSS_SETTLE_MS = 5000;
/** Open gaps a lane keeps; past this the oldest settles at once (bounded memory). */
export const MAX_OPEN_GAPS = 64;
/**
 * Open gaps a deliverLate lane keeps: two workers interleaving a channel's runs can leave one gap
 * per run while the late ones are on their way, and each one settled early would be a loss.
 */
export const MAX_OPEN_LATE_GAPS = 1024;

/**
 * The subscriber's reorder buffer of one room lane: puts its batches back in seq order, reports
 * gaps and tells late seqs from lost ones (docs/broadcast-protocol.md "Subscribers").
 * Batches come from whichever node owns the room, and a room that moves arrives from two nodes
 * for a moment, so a batch ahead of the next expected seq waits for the missing ones; after the
 * window it goes anyway and the missing range is reported as a gap. The first batch sets the
 * baseline: earlier seqs are history the gateway pulls itself.
 *
 * A reported gap stays open for `settleMs`: seqs of it that still arrive are late, not lost; what
 * has not arrived when it settles is reported lost, once. A room's late seqs are dropped (the lane
 * moved past them; clients read them from history); with `deliverLate` (user channels) they are
 * delivered when they come, out of order, each seq at most once.
 */
export class LaneReorderBuffer {
  /** The next seq to deliver; undefined until the first batch. */
  private next: number | undefined;
  /** Sorted by firstSeq. */
  private readonly waiting: WaitingBatch[] = [];
  /** In report order, so the oldest settles first. */
  private openGaps: OpenGap[] = [];

  private readonly settleMs: number;
  private readonly deliversLate: boolean;
  private readonly maxOpenGaps: number;

  constructor(
    private readonly sink: ReorderSink,
    options: LaneReorderOptions = {},
  ) {
    this.settleMs = options.settleMs ?? DEFAULT_LOSS_SETTLE_MS;
    this.deliversLate = options.deliverLate === true;
    this.maxOpenGaps = this.deliversLate ? MAX_OPEN_LATE_GAPS : MAX_OPEN_GAPS;
  }

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
    const filled = this.openGaps.length > 0 ? this.fill(batch) : 0;
    const next = this.next;
    if (next !== undefined && batch.lastSeq < next) {
      // Behind the lane: late seqs of an open gap (delivered where that is the lane's rule), or a repeat.
      if (filled > 0 && this.deliversLate) this.deliverLate(batch);
      else this.sink.duplicate(batch);
    } else if (next === undefined || batch.firstSeq <= next) {
      if (next === undefined && this.deliversLate && batch.firstSeq > 1) this.openBelow(batch, now);
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
    this.keepOpen({ gap, fromSeq: gap.fromSeq, toSeq: gap.toSeq, reportedAt: now });
  }

  /**
   * A deliverLate lane's first batch: the seqs below it were sent before this subscriber listened,
   * or are another worker's, still on their way (the node published them late). The latter are
   * delivered if they come within the settle time; nothing is reported or lost for either.
   */
  private openBelow(batch: RoomBatch, now: number): void {
    const gap: SeqGap = { roomId: batch.roomId, lane: batch.lane, fromSeq: 1, toSeq: batch.firstSeq - 1 };
    this.keepOpen({ gap, fromSeq: gap.fromSeq, toSeq: gap.toSeq, reportedAt: now, silent: true });
  }

  private keepOpen(open: OpenGap): void {
    this.openGaps.push(open);
    if (this.openGaps.length > this.maxOpenGaps) this.settleGap(this.openGaps.shift() as OpenGap);
  }

  private deliverLate(batch: RoomBatch): void {
    this.sink.deliveredLate?.(batch);
    this.sink.deliver(batch);
  }

  /** Takes the batch's seqs out of the open gaps it overlaps: they arrived, late. Returns how many. */
  private fill(batch: RoomBatch): number {
    const remaining: OpenGap[] = [];
    let filled = 0;
    for (const open of this.openGaps) {
      const from = Math.max(open.fromSeq, batch.firstSeq);
      const to = Math.min(open.toSeq, batch.lastSeq);
      if (from > to) {
        remaining.push(open);
        continue;
      }
      filled += to - from + 1;
      if (open.silent !== true) this.sink.late(open.gap, to - from + 1);
      // What is left of the gap on either side of the batch stays open.
      if (open.fromSeq < from) remaining.push({ ...open, toSeq: from - 1 });
      if (to < open.toSeq) remaining.push({ ...open, fromSeq: to + 1 });
    }
    this.openGaps = remaining;
    return filled;
  }

  private settleGap(open: OpenGap): void {
    if (open.silent !== true) this.sink.lost(open.gap, open.toSeq - open.fromSeq + 1);
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
