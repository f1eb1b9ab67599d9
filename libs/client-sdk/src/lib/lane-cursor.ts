import type { Lane, RoomMessage } from '@live-im/contracts';

/** Seqs of one room lane that never arrived, `fromSeq..toSeq` inclusive. */
export interface GapRange {
  lane: Lane;
  fromSeq: number;
  toSeq: number;
}

/** A gap the SDK saw, and whether history gave back every message in it. */
export interface GapEvent extends GapRange {
  recovered: boolean;
}

/**
 * A piece of a lane as received: it vouches for every seq in `firstSeq..lastSeq` (a seq it covers
 * without a message was dropped on purpose by flow control) and holds `messages`.
 */
export interface LaneSegment {
  firstSeq: number;
  lastSeq: number;
  messages: readonly RoomMessage[];
}

export interface LaneCursorSink {
  /** The next message of the lane, in seq order, each seq once. */
  deliver(message: RoomMessage): void;
  /** A message whose seq was already passed (a repeat): the app does not see it again. */
  repeated(message: RoomMessage): void;
  /** Pull this range; everything later waits until `fillDone` or `fillFailed` answers it. */
  needFill(range: GapRange): void;
  gap(event: GapEvent): void;
}

/**
 * The SDK's cursor over one room lane: how far the app has seen it, in seq order, each seq once,
 * gaps filled from history. `through` is the highest seq the lane is settled to
 * (delivered, or dropped by flow control inside a segment). A segment starting past `through + 1`
 * means the seqs between were lost: they are asked for (`needFill`) and later segments are held
 * until the fill answers, so the app still sees the lane in order. Repeats are never delivered.
 */
export class LaneCursor {
  private settled: number;
  private filling: GapRange | undefined;
  private readonly held: LaneSegment[] = [];

  constructor(
    readonly lane: Lane,
    private readonly sink: LaneCursorSink,
    through = 0,
  ) {
    this.settled = through;
  }

  /** The highest seq the lane is settled to. */
  get through(): number {
    return this.settled;
  }

  /** The fill being waited for, if any. */
  get waitingFor(): GapRange | undefined {
    return this.filling;
  }

  get heldSegments(): number {
    return this.held.length;
  }

  /** Starts over at `through`, forgetting held segments and any fill in flight (whose answer is then ignored). */
  reset(through: number): void {
    this.settled = through;
    this.filling = undefined;
    this.held.length = 0;
  }

  receive(segment: LaneSegment): void {
    if (this.filling !== undefined) {
      this.held.push(segment);
      return;
    }
    this.apply(segment);
  }

  /** The lane is known to reach `latestSeq`: anything between `through` and it is a gap. */
  reach(latestSeq: number): void {
    this.receive({ firstSeq: latestSeq + 1, lastSeq: latestSeq, messages: [] });
  }

  /** The messages history gave for `range` (any order, repeats and strays allowed). */
  fillDone(range: GapRange, messages: readonly RoomMessage[]): void {
    if (range !== this.filling) return;
    const wanted = new Map<number, RoomMessage>();
    for (const message of messages) {
      if (message.seq >= range.fromSeq && message.seq <= range.toSeq) wanted.set(message.seq, message);
    }
    const ordered = [...wanted.values()].sort((a, b) => a.seq - b.seq);
    this.filling = undefined;
    for (const message of ordered) {
      if (message.seq <= this.settled) continue;
      this.settled = message.seq;
      this.sink.deliver(message);
    }
    this.settled = Math.max(this.settled, range.toSeq);
    this.sink.gap({ ...range, recovered: wanted.size === range.toSeq - range.fromSeq + 1 });
    this.drain();
  }

  /** History could not be read: the range is given up and the lane goes on. */
  fillFailed(range: GapRange): void {
    this.fillDone(range, []);
  }

  private apply(segment: LaneSegment): void {
    if (segment.firstSeq > this.settled + 1) {
      const range: GapRange = { lane: this.lane, fromSeq: this.settled + 1, toSeq: segment.firstSeq - 1 };
      this.filling = range;
      this.held.unshift(segment);
      this.sink.needFill(range);
      return;
    }
    const ordered =
      segment.messages.length < 2 ? segment.messages : [...segment.messages].sort((a, b) => a.seq - b.seq);
    for (const message of ordered) {
      if (message.seq <= this.settled) {
        this.sink.repeated(message);
        continue;
      }
      this.settled = message.seq;
      this.sink.deliver(message);
    }
    this.settled = Math.max(this.settled, segment.lastSeq);
  }

  private drain(): void {
    while (this.filling === undefined) {
      const next = this.held.shift();
      if (next === undefined) return;
      this.apply(next);
    }
  }
}
