import { countPairs, FrameError, packPairs, unpackPairs } from '@live-im/zmq-transport';
import { BCAST_VERSION, BroadcastCommand, isBroadcastCommand, LaneCode } from './commands';
import {
  BATCH_COUNT_AT,
  BATCH_FIRST_SEQ_AT,
  BATCH_LANE_AT,
  BATCH_LAST_SEQ_AT,
  BATCH_META_LENGTH,
  BATCH_VERSION_AT,
  hasValidIdBytes,
  MAX_ROOM_ID_LENGTH,
  MAX_RUN_MESSAGES,
  MAX_TRACE_ID_LENGTH,
  MESSAGE_LANE_AT,
  MESSAGE_ROOM_ID_AT,
  MESSAGE_ROOM_ID_LENGTH_AT,
  MESSAGE_SEQ_AT,
  RUN_COUNT_AT,
  RUN_ENVELOPE_LENGTH_BYTES,
  RUN_FIRST_SEQ_AT,
  RUN_LANE_AT,
  RUN_ROOM_ID_AT,
  RUN_ROOM_ID_LENGTH_AT,
  runMetaLengthWithoutTraces,
  writeBatchMeta,
  writeMessageMetaHead,
  writeRunMetaHead,
} from './meta-layout';

export { countPairs, FrameError, packPairs, unpackPairs };

const HEADERS = new Map<number, Buffer>();

/** The 2-byte header [version, command]; cached, never mutate it. */
export function bcastHeader(command: BroadcastCommand): Buffer {
  let h = HEADERS.get(command);
  if (!h) {
    h = Buffer.from([BCAST_VERSION, command]);
    HEADERS.set(command, h);
  }
  return h;
}

export function readBcastHeader(frame: Buffer | undefined): BroadcastCommand {
  if (!frame || frame.length !== 2) throw new FrameError('header frame must be 2 bytes');
  if (frame[0] !== BCAST_VERSION) throw new FrameError(`unsupported version ${frame[0]}`);
  const command = frame[1];
  if (!isBroadcastCommand(command)) throw new FrameError(`unknown command ${command}`);
  return command;
}

const ROOM_ID = /^[A-Za-z0-9_-]{1,64}$/;
const TRACE_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** What a publisher says of one message: its room, lane and seq, and the request that made it. */
export interface MessageMeta {
  roomId: string;
  lane: LaneCode;
  seq: number;
  /** The request id (`reqId` in every log line) of the call that produced the message; for logs only. */
  traceId?: string;
}

/** Whether a request id fits a message meta; one that does not is left out (it only serves logs). */
export function isTraceId(value: string | undefined): value is string {
  return value !== undefined && TRACE_ID.test(value);
}

/**
 * A room id as a meta carries it (latin1 bytes), checked once: a publisher keeps it per room and
 * copies it into every meta. Throws FrameError for an id the protocol cannot carry.
 */
export function roomIdBytes(roomId: string): Buffer {
  if (!ROOM_ID.test(roomId)) throw new FrameError('room id must match [A-Za-z0-9_-]{1,64}');
  return Buffer.from(roomId, 'latin1');
}

export function encodeMessageMeta(meta: MessageMeta): Buffer {
  if (!ROOM_ID.test(meta.roomId)) throw new FrameError('room id must match [A-Za-z0-9_-]{1,64}');
  const trace = meta.traceId;
  if (trace !== undefined && !isTraceId(trace))
    throw new FrameError('trace id must match [A-Za-z0-9_-]{1,64}');
  const roomEnd = MESSAGE_ROOM_ID_AT + meta.roomId.length;
  const buf = Buffer.allocUnsafe(roomEnd + (trace === undefined ? 0 : 1 + trace.length));
  const roomAt = writeMessageMetaHead(buf, 0, meta.lane, meta.seq, meta.roomId.length);
  buf.write(meta.roomId, roomAt, 'latin1');
  if (trace !== undefined) {
    buf[roomEnd] = trace.length;
    buf.write(trace, roomEnd + 1, 'latin1');
  }
  return buf;
}

function checkIdBytes(buf: Buffer, from: number, to: number, what: string): void {
  if (!hasValidIdBytes(buf, from, to)) throw new FrameError(`${what} has a forbidden character`);
}

export function decodeMessageMeta(buf: Buffer): MessageMeta {
  if (buf.length < MESSAGE_ROOM_ID_AT + 1) throw new FrameError('message meta too short');
  const lane = buf[MESSAGE_LANE_AT];
  if (lane !== LaneCode.normal && lane !== LaneCode.important) throw new FrameError(`unknown lane ${lane}`);
  const seq = buf.readDoubleLE(MESSAGE_SEQ_AT);
  if (!Number.isSafeInteger(seq) || seq < 1) throw new FrameError('seq must be a positive integer');
  const roomIdLen = buf[MESSAGE_ROOM_ID_LENGTH_AT];
  const roomEnd = MESSAGE_ROOM_ID_AT + roomIdLen;
  if (roomIdLen < 1 || roomIdLen > MAX_ROOM_ID_LENGTH || buf.length < roomEnd)
    throw new FrameError('bad room id length');
  checkIdBytes(buf, MESSAGE_ROOM_ID_AT, roomEnd, 'room id');
  const meta: MessageMeta = {
    lane: lane as LaneCode,
    seq,
    roomId: buf.toString('latin1', MESSAGE_ROOM_ID_AT, roomEnd),
  };
  if (buf.length === roomEnd) return meta;
  const traceLen = buf[roomEnd];
  if (traceLen < 1 || traceLen > MAX_TRACE_ID_LENGTH || buf.length !== roomEnd + 1 + traceLen)
    throw new FrameError('bad trace id length');
  checkIdBytes(buf, roomEnd + 1, buf.length, 'trace id');
  meta.traceId = buf.toString('latin1', roomEnd + 1);
  return meta;
}

/**
 * A run (PUBLISH_RUNS): consecutive seqs of one room lane from one publisher, sent as one record
 * pair. Meta: lane u8, firstSeq f64, count u16, roomIdLen u8, roomId, then count u32 envelope
 * lengths, then optionally, for every message, traceLen u8 (0 = none) and the trace id. Body: the
 * envelopes joined by single commas, exactly as a delivered batch body holds them.
 */
export interface RunMeta {
  roomId: string;
  lane: LaneCode;
  firstSeq: number;
  /** Byte length of each envelope, in seq order. */
  lengths: number[];
  /** Per message, the request id that made it ('' for none); absent when no message has one. */
  traceIds?: string[];
}

/** A run's record pair [meta, body] for `bodies` (non-empty JSON envelopes) from `firstSeq` on. */
export function encodeRun(meta: Omit<RunMeta, 'lengths'>, bodies: readonly Buffer[]): [Buffer, Buffer] {
  const n = bodies.length;
  if (!ROOM_ID.test(meta.roomId)) throw new FrameError('room id must match [A-Za-z0-9_-]{1,64}');
  if (n < 1 || n > MAX_RUN_MESSAGES) throw new FrameError(`a run holds 1..${MAX_RUN_MESSAGES} messages`);
  if (
    !Number.isSafeInteger(meta.firstSeq) ||
    meta.firstSeq < 1 ||
    !Number.isSafeInteger(meta.firstSeq + n - 1)
  ) {
    throw new FrameError('seq must be a positive integer');
  }
  const traces = meta.traceIds;
  if (traces !== undefined && (traces.length !== n || !traces.every((t) => t === '' || isTraceId(t)))) {
    throw new FrameError("a run has one trace id (or '') per message, each [A-Za-z0-9_-]{1,64}");
  }
  let size = runMetaLengthWithoutTraces(meta.roomId.length, n);
  if (traces !== undefined) for (const t of traces) size += 1 + t.length;
  const buf = Buffer.allocUnsafe(size);
  const roomAt = writeRunMetaHead(buf, 0, meta.lane, meta.firstSeq, n, meta.roomId.length);
  buf.write(meta.roomId, roomAt, 'latin1');
  let at = roomAt + meta.roomId.length;
  for (const body of bodies) {
    if (body.length === 0) throw new FrameError('an envelope cannot be empty');
    buf.writeUInt32LE(body.length, at);
    at += RUN_ENVELOPE_LENGTH_BYTES;
  }
  if (traces !== undefined) {
    for (const t of traces) {
      buf[at] = t.length;
      buf.write(t, at + 1, 'latin1');
      at += 1 + t.length;
    }
  }
  const joined = joinJsonBodies(bodies);
  return [buf, joined.subarray(1, joined.length - 1)];
}

/** Decodes and checks a run meta whole (room id and trace characters included); `bodyLength` must match it. */
export function decodeRunMeta(buf: Buffer, bodyLength: number): RunMeta {
  if (buf.length < RUN_ROOM_ID_AT + 1) throw new FrameError('run meta too short');
  const lane = buf[RUN_LANE_AT];
  if (lane !== LaneCode.normal && lane !== LaneCode.important) throw new FrameError(`unknown lane ${lane}`);
  const firstSeq = buf.readDoubleLE(RUN_FIRST_SEQ_AT);
  const n = buf.readUInt16LE(RUN_COUNT_AT);
  if (n < 1 || n > MAX_RUN_MESSAGES) throw new FrameError(`a run holds 1..${MAX_RUN_MESSAGES} messages`);
  if (!Number.isSafeInteger(firstSeq) || firstSeq < 1 || !Number.isSafeInteger(firstSeq + n - 1)) {
    throw new FrameError('seq must be a positive integer');
  }
  const roomIdLen = buf[RUN_ROOM_ID_LENGTH_AT];
  const lengthsAt = RUN_ROOM_ID_AT + roomIdLen;
  if (
    roomIdLen < 1 ||
    roomIdLen > MAX_ROOM_ID_LENGTH ||
    buf.length < runMetaLengthWithoutTraces(roomIdLen, n)
  )
    throw new FrameError('run meta truncated');
  checkIdBytes(buf, RUN_ROOM_ID_AT, lengthsAt, 'room id');
  const lengths: number[] = [];
  let joined = n - 1;
  for (let i = 0; i < n; i += 1) {
    const length = buf.readUInt32LE(lengthsAt + RUN_ENVELOPE_LENGTH_BYTES * i);
    if (length === 0) throw new FrameError('an envelope cannot be empty');
    lengths.push(length);
    joined += length;
  }
  if (joined !== bodyLength) throw new FrameError('run body length does not match its envelope lengths');
  const meta: RunMeta = {
    lane: lane as LaneCode,
    firstSeq,
    roomId: buf.toString('latin1', RUN_ROOM_ID_AT, lengthsAt),
    lengths,
  };
  let at = lengthsAt + RUN_ENVELOPE_LENGTH_BYTES * n;
  if (at === buf.length) return meta;
  const traceIds: string[] = [];
  for (let i = 0; i < n; i += 1) {
    if (at >= buf.length) throw new FrameError('run trace ids truncated');
    const traceLen = buf[at];
    if (traceLen > MAX_TRACE_ID_LENGTH || at + 1 + traceLen > buf.length)
      throw new FrameError('bad trace id length');
    checkIdBytes(buf, at + 1, at + 1 + traceLen, 'trace id');
    traceIds.push(buf.toString('latin1', at + 1, at + 1 + traceLen));
    at += 1 + traceLen;
  }
  if (at !== buf.length) throw new FrameError('run meta has trailing bytes');
  meta.traceIds = traceIds;
  return meta;
}

/** `r:<roomId>:` — the trailing colon keeps `r:room1` from matching `r:room12`. */
export function roomTopic(roomId: string): Buffer {
  return Buffer.from(`r:${roomId}:`, 'latin1');
}

/** The room of a topic frame, or undefined when it is not a room topic. */
export function roomOfTopic(topic: Buffer): string | undefined {
  if (topic.length < 4 || topic[0] !== 0x72 || topic[1] !== 0x3a || topic[topic.length - 1] !== 0x3a)
    return undefined;
  const roomId = topic.toString('latin1', 2, topic.length - 1);
  return ROOM_ID.test(roomId) ? roomId : undefined;
}

/** Frame 1 of a delivered batch. */
export interface BatchMeta {
  lane: LaneCode;
  count: number;
  firstSeq: number;
  lastSeq: number;
}

export function encodeBatchMeta(meta: BatchMeta): Buffer {
  const buf = Buffer.allocUnsafe(BATCH_META_LENGTH);
  writeBatchMeta(buf, meta.lane, meta.count, meta.firstSeq, meta.lastSeq);
  return buf;
}

export function decodeBatchMeta(buf: Buffer): BatchMeta {
  if (buf.length !== BATCH_META_LENGTH) throw new FrameError('batch meta must be 20 bytes');
  if (buf[BATCH_VERSION_AT] !== BCAST_VERSION)
    throw new FrameError(`unsupported batch version ${buf[BATCH_VERSION_AT]}`);
  const lane = buf[BATCH_LANE_AT];
  if (lane !== LaneCode.normal && lane !== LaneCode.important) throw new FrameError(`unknown lane ${lane}`);
  const count = buf.readUInt16LE(BATCH_COUNT_AT);
  const firstSeq = buf.readDoubleLE(BATCH_FIRST_SEQ_AT);
  const lastSeq = buf.readDoubleLE(BATCH_LAST_SEQ_AT);
  if (count < 1 || !Number.isSafeInteger(firstSeq) || !Number.isSafeInteger(lastSeq) || lastSeq < firstSeq) {
    throw new FrameError('batch meta out of range');
  }
  if (lastSeq - firstSeq + 1 < count) throw new FrameError('batch holds more messages than its seq range');
  return { lane: lane as LaneCode, count, firstSeq, lastSeq };
}

const OPEN = Buffer.from('[');
const COMMA = Buffer.from(',');
const CLOSE = Buffer.from(']');

/** Joins pre-encoded JSON envelopes into one JSON array without parsing any of them. */
export function joinJsonBodies(bodies: readonly Buffer[]): Buffer {
  const parts: Buffer[] = [OPEN];
  for (let i = 0; i < bodies.length; i += 1) {
    if (i > 0) parts.push(COMMA);
    parts.push(bodies[i]);
  }
  parts.push(CLOSE);
  return Buffer.concat(parts);
}

/** An NM/1 message: header and one JSON body. */
export function nmMessage(command: BroadcastCommand, body: unknown): Buffer[] {
  return [bcastHeader(command), Buffer.from(JSON.stringify(body))];
}
