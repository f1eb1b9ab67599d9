import { encodeBatchMeta, joinJsonBodies, type LaneCode } from '@live-im/broadcast';

/**
 * The frame one room lane is building. Its seq range is contiguous: it starts where the lane's
 * previous frame ended (or where the lane's seq stream was (re)started) and ends, when the frame
 * leaves, just before the lane's next seq, so it also covers the messages flow control dropped in
 * between. Bodies are kept as the slices unpackPairs gave, never parsed; the merger pushes them
 * onto `bodies` directly (the hot path), and the array is reused.
 */
export class LaneBatch {
  readonly bodies: Buffer[] = [];
  /** First seq this frame accounts for. */
  firstSeq = 0;

  constructor(readonly lane: LaneCode) {}

  get count(): number {
    return this.bodies.length;
  }

  /**
   * The delivered frame [topic, batch meta, joined bodies] (encoded once) covering
   * firstSeq..lastSeq, leaving the batch empty and starting the next range after lastSeq.
   */
  take(topic: Buffer, lastSeq: number): Buffer[] {
    const meta = encodeBatchMeta({
      lane: this.lane,
      count: this.bodies.length,
      firstSeq: this.firstSeq,
      lastSeq,
    });
    const body = joinJsonBodies(this.bodies);
    this.bodies.length = 0;
    this.firstSeq = lastSeq + 1;
    return [topic, meta, body];
  }
}
