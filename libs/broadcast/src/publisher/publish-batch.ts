import { RUN_ENVELOPE_LENGTH_BYTES, RUN_ROOM_ID_AT } from '../protocol/meta-layout';
import type { PublishRun } from './publish-run';

const MIN_CAPACITY = 4096;

/**
 * Frame 1 of a PUBLISH_RUNS message, written in place: records `u32 length, bytes`, alternating
 * run meta and run body (docs/broadcast-protocol.md "Publishing") — the bytes packPairs would make
 * from [meta, body, ...] without a Buffer or an array entry per run. The buffer grows by doubling;
 * its first size follows the previous batch, so a steady stream rarely copies.
 */
export class PublishBatch {
  private buffer: Buffer;
  private length = 0;
  /** Messages appended. */
  count = 0;
  /** What the link charged its queue for them. */
  charged = 0;

  constructor(capacityHint: number) {
    this.buffer = Buffer.allocUnsafe(Math.max(MIN_CAPACITY, capacityHint));
  }

  get bytes(): number {
    return this.length;
  }

  /**
   * What one message is charged against a link's queue before its run is written: an upper bound
   * of the bytes it adds (a run of one, trace id included).
   */
  static chargeOf(roomIdBytes: Buffer, body: Buffer, traceId?: string): number {
    const metaLength =
      RUN_ROOM_ID_AT +
      roomIdBytes.length +
      RUN_ENVELOPE_LENGTH_BYTES +
      (traceId === undefined ? 0 : 1 + traceId.length);
    // Each record of the pair is `u32 length, bytes`.
    return 4 + metaLength + 4 + body.length;
  }

  /** Copies a finished run in as one record pair. */
  appendRun(run: PublishRun): void {
    const size = run.recordBytes;
    if (this.length + size > this.buffer.length) this.grow(this.length + size);
    this.length = run.writeInto(this.buffer, this.length);
    this.count += run.count;
    this.charged += run.charged;
  }

  /** The finished frame; the batch must not be appended to afterwards (the socket may hold it). */
  finish(): Buffer {
    return this.buffer.subarray(0, this.length);
  }

  private grow(needed: number): void {
    let capacity = this.buffer.length * 2;
    while (capacity < needed) capacity *= 2;
    const next = Buffer.allocUnsafe(capacity);
    this.buffer.copy(next, 0, 0, this.length);
    this.buffer = next;
  }
}
