import { RoomBatch, SeqGap } from './room-batch';

export interface SequencerSink {
  deliver(batch: RoomBatch): void;
  gap(gap: SeqGap): void;
  /** A batch whose every seq was delivered already. */
  duplicate(batch: RoomBatch): void;
}

interface WaitingBatch {
  batch: RoomBatch;
  arrivedAt: number;
}

/**
 * Puts one room lane's batches back in seq order (docs/broadcast-protocol.md "Subscribers").
 * Batches come from whichever node owns the room, and a room that moves arrives from two nodes
 * for a moment, so a batch ahead of the next expected seq waits for the missing ones; after the
 * window it goes anyway and the missing range is reported as a gap. The first batch sets the
 * baseline: earlier seqs are history the gateway pulls itself.
 */
export class LaneSequencer {
  /** The next seq to deliver; undefined until the first batch. */
  private next: number | undefined;
  /** Sorted by firstSeq. */
  private readonly waiting: WaitingBatch[] = [];

  constructor(private readonly sink: SequencerSink) {}

  get hasWaiting(): boolean {
    return this.waiting.length > 0;
  }

  get nextSeq(): number | undefined {
    return this.next;
  }

  /** Takes one batch; true when it (or others) still wait for missing seqs. */
  offer(batch: RoomBatch, now: number): boolean {
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
      if (now - (this.waiting[i] as WaitingBatch).arrivedAt >= windowMs) last = i;
    }
    for (let i = 0; i <= last; i += 1) {
      const { batch } = this.waiting.shift() as WaitingBatch;
      const next = this.next as number;
      if (batch.lastSeq < next) {
        this.sink.duplicate(batch);
        continue;
      }
      if (batch.firstSeq > next) {
        this.sink.gap({ roomId: batch.roomId, lane: batch.lane, fromSeq: next, toSeq: batch.firstSeq - 1 });
      }
      this.deliver(batch);
    }
    if (last >= 0) this.drain();
  }

  private park(batch: RoomBatch, now: number): void {
    let at = this.waiting.length;
    while (at > 0 && (this.waiting[at - 1] as WaitingBatch).batch.firstSeq > batch.firstSeq) at -= 1;
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
      const head = this.waiting[0] as WaitingBatch;
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
