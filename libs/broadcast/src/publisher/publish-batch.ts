import { LaneCode } from '../protocol/commands';

const MIN_CAPACITY = 4096;

/**
 * Frame 1 of a PUBLISH message, written in place: records `u32 length, bytes`, alternating message
 * meta (lane u8, seq f64, roomIdLen u8, roomId, and traceLen u8, traceId when there is a request id)
 * and body — the bytes packPairs would make from
 * [meta, body, ...], without a meta Buffer or an array entry per message. The buffer grows by
 * doubling; its first size follows the previous batch, so a steady stream rarely copies.
 */
export class PublishBatch {
  private buffer: Buffer;
  private length = 0;
  /** Messages appended. */
  count = 0;

  constructor(capacityHint: number) {
    this.buffer = Buffer.allocUnsafe(Math.max(MIN_CAPACITY, capacityHint));
  }

  get bytes(): number {
    return this.length;
  }

  /** Bytes one message adds to a batch. */
  static sizeOf(roomIdBytes: Buffer, body: Buffer, traceId?: string): number {
    return 4 + 10 + roomIdBytes.length + (traceId === undefined ? 0 : 1 + traceId.length) + 4 + body.length;
  }

  /**
   * `roomIdBytes` is the validated latin1 room id (the caller checks it once per room), `traceId`
   * a request id that passed isTraceId, or undefined.
   */
  append(lane: LaneCode, seq: number, roomIdBytes: Buffer, body: Buffer, traceId?: string): void {
    const roomIdLen = roomIdBytes.length;
    const traceBytes = traceId === undefined ? 0 : 1 + traceId.length;
    const metaLen = 10 + roomIdLen + traceBytes;
    const size = 4 + metaLen + 4 + body.length;
    if (this.length + size > this.buffer.length) this.grow(this.length + size);
    const buf = this.buffer;
    let at = this.length;
    buf.writeUInt32LE(metaLen, at);
    buf[at + 4] = lane;
    buf.writeDoubleLE(seq, at + 5);
    buf[at + 13] = roomIdLen;
    // Room ids are short (≤ 64): a loop beats Buffer#copy's native call here.
    at += 14;
    for (let i = 0; i < roomIdLen; i += 1) buf[at + i] = roomIdBytes[i] as number;
    at += roomIdLen;
    if (traceId !== undefined) {
      buf[at] = traceId.length;
      buf.write(traceId, at + 1, 'latin1');
      at += traceBytes;
    }
    buf.writeUInt32LE(body.length, at);
    body.copy(buf, at + 4);
    this.length = at + 4 + body.length;
    this.count += 1;
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
