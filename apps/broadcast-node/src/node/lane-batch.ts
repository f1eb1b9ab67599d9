import { encodeBatchMeta, joinJsonBodies, type LaneCode } from '@live-im/broadcast';

/**
 * The messages of one room and lane that will leave as one frame. Bodies are kept as the slices
 * unpackPairs gave, never parsed; the array is reused from frame to frame.
 */
export class LaneBatch {
  readonly bodies: Buffer[] = [];
  firstSeq = 0;
  lastSeq = 0;

  constructor(readonly lane: LaneCode) {}

  get count(): number {
    return this.bodies.length;
  }

  add(seq: number, body: Buffer): void {
    if (this.bodies.length === 0) this.firstSeq = seq;
    this.lastSeq = seq;
    this.bodies.push(body);
  }

  /** The delivered frame [topic, batch meta, joined bodies] (encoded once), leaving the batch empty. */
  take(topic: Buffer): Buffer[] {
    const meta = encodeBatchMeta({
      lane: this.lane,
      count: this.bodies.length,
      firstSeq: this.firstSeq,
      lastSeq: this.lastSeq,
    });
    const body = joinJsonBodies(this.bodies);
    this.bodies.length = 0;
    return [topic, meta, body];
  }
}
