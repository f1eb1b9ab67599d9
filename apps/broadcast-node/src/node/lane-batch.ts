import { encodeBatchMeta, type LaneCode } from '@live-im/broadcast';

const OPEN = 0x5b; // [
const COMMA = 0x2c; // ,
const CLOSE = 0x5d; // ]
/** Below this many bytes a JS loop copies faster than Buffer#copy's native call (~60 ns). */
const NATIVE_COPY_FROM = 40;
/** The first buffer of a lane that has not sent a frame yet. */
const FIRST_CAPACITY = 512;
/** A lane's next buffer starts at most this big, whatever its last frame was. */
const MAX_NEXT_CAPACITY = 64 * 1024;
/**
 * A frame leaves in a buffer of its own size when its buffer has this many bytes or more to
 * spare (and more than the frame): ZeroMQ holds what it is given until sent, spare bytes too.
 */
const MAX_SPARE_BYTES = 4096;

/**
 * The frame one room lane is building. Its seq range is contiguous: it starts where the lane's
 * previous frame ended (or where the lane's seq stream was (re)started) and ends, when the frame
 * leaves, just before the lane's next seq, so it also covers the messages flow control dropped in
 * between.
 *
 * The delivered body is the JSON array `[env,env,...]` of the publishers' envelopes, never parsed.
 * It is written as the messages come: each envelope's bytes are copied straight from the PUSH
 * message they arrived in (no Buffer per message), after a comma, into one buffer per frame, and
 * the finished frame is that buffer's filled part. The next frame gets a new buffer (the socket
 * owns the old one), sized from this one, so a steady stream rarely grows a buffer.
 */
export class LaneBatch {
  /** Envelopes in the frame. */
  count = 0;
  /** First seq this frame accounts for. */
  firstSeq = 0;
  private out: Buffer | undefined;
  private length = 0;
  private nextCapacity = FIRST_CAPACITY;

  constructor(readonly lane: LaneCode) {}

  /** Adds the envelope `src[start..end)` (non-empty JSON) to the frame. */
  append(src: Buffer, start: number, end: number): void {
    const size = end - start;
    const out = this.reserve(size);
    let at = this.length;
    out[at] = this.count === 0 ? OPEN : COMMA;
    at += 1;
    if (size >= NATIVE_COPY_FROM) {
      src.copy(out, at, start, end);
      at += size;
    } else {
      for (let i = start; i < end; i += 1) out[at++] = src[i];
    }
    this.length = at;
    this.count += 1;
  }

  /**
   * Adds `count` envelopes already joined by commas, `src[start..end)` (a publisher's run), copied
   * in one piece.
   */
  appendJoined(src: Buffer, start: number, end: number, count: number): void {
    const size = end - start;
    const out = this.reserve(size);
    out[this.length] = this.count === 0 ? OPEN : COMMA;
    src.copy(out, this.length + 1, start, end);
    this.length += 1 + size;
    this.count += count;
  }

  /**
   * The delivered frame [topic, batch meta, body] covering firstSeq..lastSeq, leaving the batch
   * empty and starting the next range after lastSeq. Only when count > 0.
   */
  take(topic: Buffer, lastSeq: number): Buffer[] {
    const out = this.out as Buffer;
    out[this.length] = CLOSE;
    const bodyLength = this.length + 1;
    const meta = encodeBatchMeta({ lane: this.lane, count: this.count, firstSeq: this.firstSeq, lastSeq });
    // Room for a frame like this one, and a little more, without growing.
    this.nextCapacity = Math.min(MAX_NEXT_CAPACITY, bodyLength + (bodyLength >>> 3) + 64);
    this.out = undefined;
    this.length = 0;
    this.count = 0;
    this.firstSeq = lastSeq + 1;
    const spare = out.length - bodyLength;
    const body =
      spare >= MAX_SPARE_BYTES && spare > bodyLength
        ? Buffer.from(out.subarray(0, bodyLength))
        : out.subarray(0, bodyLength);
    return [topic, meta, body];
  }

  /** The frame's buffer, with room for a comma or the opening bracket, `size` bytes and the closing bracket. */
  private reserve(size: number): Buffer {
    const needed = this.length + 1 + size + 1;
    const out = this.out;
    if (out === undefined) {
      const first = Buffer.allocUnsafe(Math.max(this.nextCapacity, needed));
      this.out = first;
      return first;
    }
    return needed > out.length ? this.grow(out, needed) : out;
  }

  private grow(out: Buffer, needed: number): Buffer {
    let capacity = out.length * 2;
    while (capacity < needed) capacity *= 2;
    const next = Buffer.allocUnsafe(capacity);
    out.copy(next, 0, 0, this.length);
    this.out = next;
    return next;
  }
}
