import {
  MAX_RUN_MESSAGES,
  RUN_ENVELOPE_LENGTH_BYTES,
  runMetaLengthWithoutTraces,
  writeRunMetaHead,
} from '../protocol/meta-layout';
import type { LaneCode } from '../protocol/commands';

const COMMA = 0x2c;
const FIRST_BODY_CAPACITY = 1024;

/**
 * Consecutive seqs of one room lane gathered during a turn, to leave as one PUBLISH_RUNS record
 * (docs/broadcast-protocol.md "Publishing"): the envelopes are copied as they come into one
 * buffer, already joined by commas, so the node copies a run into its frame in one piece instead
 * of reading a meta and copying a body per message. Reused from turn to turn.
 */
export class PublishRun {
  lane: LaneCode = 0;
  firstSeq = 0;
  count = 0;
  roomIdBytes: Buffer = Buffer.alloc(0);
  /** What the link charged its queue for these messages (the per-message upper bound). */
  charged = 0;
  private body = Buffer.allocUnsafe(FIRST_BODY_CAPACITY);
  private bodyLength = 0;
  private readonly lengths: number[] = [];
  /** Per message its trace id or '', kept only once some message of the run has one. */
  private traces: string[] | undefined;
  private traceBytes = 0;

  /** Starts an empty run of `roomIdBytes` (validated latin1) and `lane` at `firstSeq`. */
  reset(lane: LaneCode, firstSeq: number, roomIdBytes: Buffer): void {
    this.lane = lane;
    this.firstSeq = firstSeq;
    this.roomIdBytes = roomIdBytes;
    this.count = 0;
    this.charged = 0;
    this.bodyLength = 0;
    this.lengths.length = 0;
    this.traces = undefined;
    this.traceBytes = 0;
  }

  /** Whether `seq` continues this run (and it has room for one more). */
  continuesWith(seq: number): boolean {
    return seq === this.firstSeq + this.count && this.count < MAX_RUN_MESSAGES;
  }

  /** Appends the next seq's envelope (non-empty JSON), copying it; `traceId` passed isTraceId. */
  add(body: Buffer, traceId: string | undefined, charge: number): void {
    const at = this.count === 0 ? 0 : this.bodyLength + 1;
    const needed = at + body.length;
    if (needed > this.body.length) this.grow(needed);
    if (this.count > 0) this.body[this.bodyLength] = COMMA;
    body.copy(this.body, at);
    this.bodyLength = needed;
    this.lengths.push(body.length);
    if (traceId !== undefined) {
      if (this.traces === undefined) this.traces = new Array<string>(this.count).fill('');
      this.traces.push(traceId);
      this.traceBytes += traceId.length;
    } else if (this.traces !== undefined) {
      this.traces.push('');
    }
    this.count += 1;
    this.charged += charge;
  }

  private get metaLength(): number {
    const fixed = runMetaLengthWithoutTraces(this.roomIdBytes.length, this.count);
    return this.traces === undefined ? fixed : fixed + this.count + this.traceBytes;
  }

  /** Bytes the run's record pair takes in a batch frame. */
  get recordBytes(): number {
    return 4 + this.metaLength + 4 + this.bodyLength;
  }

  /** Writes the record pair `u32 len, meta, u32 len, body` at `at`; returns where it ends. */
  writeInto(buf: Buffer, at: number): number {
    const metaLength = this.metaLength;
    buf.writeUInt32LE(metaLength, at);
    const room = this.roomIdBytes;
    let p = writeRunMetaHead(buf, at + 4, this.lane, this.firstSeq, this.count, room.length);
    for (let i = 0; i < room.length; i += 1) buf[p + i] = room[i];
    p += room.length;
    const lengths = this.lengths;
    for (let i = 0; i < lengths.length; i += 1) {
      buf.writeUInt32LE(lengths[i], p);
      p += RUN_ENVELOPE_LENGTH_BYTES;
    }
    const traces = this.traces;
    if (traces !== undefined) {
      for (const trace of traces) {
        buf[p] = trace.length;
        if (trace.length > 0) buf.write(trace, p + 1, 'latin1');
        p += 1 + trace.length;
      }
    }
    buf.writeUInt32LE(this.bodyLength, p);
    this.body.copy(buf, p + 4, 0, this.bodyLength);
    return p + 4 + this.bodyLength;
  }

  private grow(needed: number): void {
    let capacity = this.body.length * 2;
    while (capacity < needed) capacity *= 2;
    const next = Buffer.allocUnsafe(capacity);
    this.body.copy(next, 0, 0, this.bodyLength);
    this.body = next;
  }
}
