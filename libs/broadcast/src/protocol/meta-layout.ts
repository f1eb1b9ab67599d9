import { BCAST_VERSION, LaneCode } from './commands';

/*
 * The byte layout of the three BCAST/1 metas (docs/broadcast-protocol.md "Publishing" and
 * "Delivering"), and the in-place readers and validators the hot paths use. Every offset of a meta
 * is written here once: the encoders and decoders (frames.ts), the publisher's run writer and the
 * node's scanners all read it from this file.
 *
 * The in-place functions take the buffer a meta lies in and the meta's offset: they make no object,
 * no string and no Buffer view, and each is small and monomorphic, so the node calls them once per
 * message without cost.
 */

/** Message meta (PUBLISH): lane u8, seq f64, roomIdLen u8, roomId, then optionally traceLen u8 and the trace id. */
export const MESSAGE_LANE_AT = 0;
export const MESSAGE_SEQ_AT = 1;
export const MESSAGE_ROOM_ID_LENGTH_AT = 9;
export const MESSAGE_ROOM_ID_AT = 10;

/** Run meta (PUBLISH_RUNS): lane u8, firstSeq f64, count u16, roomIdLen u8, roomId, count × u32 envelope lengths, optional trace block. */
export const RUN_LANE_AT = 0;
export const RUN_FIRST_SEQ_AT = 1;
export const RUN_COUNT_AT = 9;
export const RUN_ROOM_ID_LENGTH_AT = 11;
export const RUN_ROOM_ID_AT = 12;
/** Bytes of one envelope length in a run meta (u32). */
export const RUN_ENVELOPE_LENGTH_BYTES = 4;

/** Batch meta (frame 1 of a delivered batch): version u8, lane u8, count u16, firstSeq f64, lastSeq f64. */
export const BATCH_VERSION_AT = 0;
export const BATCH_LANE_AT = 1;
export const BATCH_COUNT_AT = 2;
export const BATCH_FIRST_SEQ_AT = 4;
export const BATCH_LAST_SEQ_AT = 12;
export const BATCH_META_LENGTH = 20;

/** Longest room id and trace id a meta carries. */
export const MAX_ROOM_ID_LENGTH = 64;
export const MAX_TRACE_ID_LENGTH = 64;
/** Messages one run holds at most. */
export const MAX_RUN_MESSAGES = 1024;

const NORMAL: number = LaneCode.normal;
const IMPORTANT: number = LaneCode.important;
const FNV32_OFFSET = 0x811c9dc5;
const FNV32_PRIME = 0x01000193;

/** 1 for the bytes a room id or trace id may hold: `[A-Za-z0-9_-]`. */
const ID_BYTE = new Uint8Array(256);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-')
  ID_BYTE[c.charCodeAt(0)] = 1;

/** Whether `buf[from..end)` holds only `[A-Za-z0-9_-]`. */
export function hasValidIdBytes(buf: Buffer, from: number, end: number): boolean {
  for (let i = from; i < end; i += 1) if (ID_BYTE[buf[i]] !== 1) return false;
  return true;
}

/** FNV-1a over `buf[from..end)`: how the node finds a room from a meta's bytes. */
export function idBytesHash(buf: Buffer, from: number, end: number): number {
  let hash = FNV32_OFFSET;
  for (let i = from; i < end; i += 1) hash = Math.imul(hash ^ buf[i], FNV32_PRIME);
  return hash >>> 0;
}

/** The same hash over a room id string (ASCII), for rooms created from subscriptions. */
export function roomIdHash(roomId: string): number {
  let hash = FNV32_OFFSET;
  for (let i = 0; i < roomId.length; i += 1)
    hash = Math.imul(hash ^ (roomId.charCodeAt(i) & 0xff), FNV32_PRIME);
  return hash >>> 0;
}

// ---- Message meta (PUBLISH) ----

/** Writes lane, seq and the room id's length at `at`; returns where the room id goes. */
export function writeMessageMetaHead(
  buf: Buffer,
  at: number,
  lane: LaneCode,
  seq: number,
  roomIdLength: number,
): number {
  buf[at + MESSAGE_LANE_AT] = lane;
  buf.writeDoubleLE(seq, at + MESSAGE_SEQ_AT);
  buf[at + MESSAGE_ROOM_ID_LENGTH_AT] = roomIdLength;
  return at + MESSAGE_ROOM_ID_AT;
}

export function messageSeq(buf: Buffer, metaAt: number): number {
  return buf.readDoubleLE(metaAt + MESSAGE_SEQ_AT);
}

export function messageRoomIdLength(buf: Buffer, metaAt: number): number {
  return buf[metaAt + MESSAGE_ROOM_ID_LENGTH_AT];
}

/** Whether the well-formed message meta at `buf[metaAt..metaAt+length)` carries a trace id. */
export function messageHasTraceId(buf: Buffer, metaAt: number, length: number): boolean {
  return length !== MESSAGE_ROOM_ID_AT + buf[metaAt + MESSAGE_ROOM_ID_LENGTH_AT];
}

/**
 * Checks the layout of the message meta at `buf[at..at+length)` (lengths, lane, seq: the checks of
 * decodeMessageMeta but for the characters) and returns the FNV-1a hash of its room id bytes, or -1
 * when it is malformed.
 *
 * The room id's characters are not checked here: a meta whose room is found among the subscribed
 * rooms has, byte for byte, a room id that was valid when subscribed. Only for a meta whose room
 * is not found does `hasValidMessageRoomId` tell malformed from merely unsubscribed.
 */
export function scanMessageMeta(buf: Buffer, at: number, length: number): number {
  if (length < MESSAGE_ROOM_ID_AT + 1) return -1;
  const lane = buf[at + MESSAGE_LANE_AT];
  if (lane !== NORMAL && lane !== IMPORTANT) return -1;
  const roomIdLen = buf[at + MESSAGE_ROOM_ID_LENGTH_AT];
  const roomEnd = MESSAGE_ROOM_ID_AT + roomIdLen;
  if (roomIdLen === 0 || roomIdLen > MAX_ROOM_ID_LENGTH || roomEnd > length) return -1;
  if (length !== roomEnd) {
    // An optional trace id follows: traceLen u8 (1..64), then its bytes.
    const traceLen = buf[at + roomEnd];
    if (traceLen < 1 || traceLen > MAX_TRACE_ID_LENGTH || length !== roomEnd + 1 + traceLen) return -1;
  }
  const seq = buf.readDoubleLE(at + MESSAGE_SEQ_AT);
  if (!Number.isSafeInteger(seq) || seq < 1) return -1;
  return idBytesHash(buf, at + MESSAGE_ROOM_ID_AT, at + roomEnd);
}

/** Whether the room id of a meta that passed scanMessageMeta holds only `[A-Za-z0-9_-]`. */
export function hasValidMessageRoomId(buf: Buffer, metaAt: number): boolean {
  const from = metaAt + MESSAGE_ROOM_ID_AT;
  return hasValidIdBytes(buf, from, from + buf[metaAt + MESSAGE_ROOM_ID_LENGTH_AT]);
}

// ---- Run meta (PUBLISH_RUNS) ----

/** Writes lane, firstSeq, count and the room id's length at `at`; returns where the room id goes. */
export function writeRunMetaHead(
  buf: Buffer,
  at: number,
  lane: LaneCode,
  firstSeq: number,
  count: number,
  roomIdLength: number,
): number {
  buf[at + RUN_LANE_AT] = lane;
  buf.writeDoubleLE(firstSeq, at + RUN_FIRST_SEQ_AT);
  buf.writeUInt16LE(count, at + RUN_COUNT_AT);
  buf[at + RUN_ROOM_ID_LENGTH_AT] = roomIdLength;
  return at + RUN_ROOM_ID_AT;
}

/** Bytes of a run meta for `count` messages of a room id `roomIdLength` long, before any trace block. */
export function runMetaLengthWithoutTraces(roomIdLength: number, count: number): number {
  return RUN_ROOM_ID_AT + roomIdLength + RUN_ENVELOPE_LENGTH_BYTES * count;
}

export function runFirstSeq(buf: Buffer, metaAt: number): number {
  return buf.readDoubleLE(metaAt + RUN_FIRST_SEQ_AT);
}

export function runCount(buf: Buffer, metaAt: number): number {
  return buf.readUInt16LE(metaAt + RUN_COUNT_AT);
}

export function runRoomIdLength(buf: Buffer, metaAt: number): number {
  return buf[metaAt + RUN_ROOM_ID_LENGTH_AT];
}

/** Where the u32 envelope lengths of the run meta at `metaAt` start. */
export function runEnvelopeLengthsAt(buf: Buffer, metaAt: number): number {
  return metaAt + RUN_ROOM_ID_AT + buf[metaAt + RUN_ROOM_ID_LENGTH_AT];
}

/** The byte length of envelope `i` of a run whose lengths start at `lengthsAt`. */
export function runEnvelopeLength(buf: Buffer, lengthsAt: number, i: number): number {
  return buf.readUInt32LE(lengthsAt + RUN_ENVELOPE_LENGTH_BYTES * i);
}

/** Whether the well-formed run meta at `buf[metaAt..metaAt+length)` carries a trace block. */
export function runHasTraceIds(buf: Buffer, metaAt: number, length: number): boolean {
  return length !== runMetaLengthWithoutTraces(buf[metaAt + RUN_ROOM_ID_LENGTH_AT], runCount(buf, metaAt));
}

/**
 * scanMessageMeta for a run meta at `buf[at..at+length)` whose body is `bodyLength` bytes: checks
 * lane, seq range, count, room id length, that every envelope length is non-zero and that they and
 * the commas between them add up to the body, and the layout of an optional trace block; returns
 * the room id's hash, or -1 when malformed. Characters are left as there.
 */
export function scanRunMeta(buf: Buffer, at: number, length: number, bodyLength: number): number {
  if (length < RUN_ROOM_ID_AT + 1) return -1;
  const lane = buf[at + RUN_LANE_AT];
  if (lane !== NORMAL && lane !== IMPORTANT) return -1;
  const count = buf.readUInt16LE(at + RUN_COUNT_AT);
  if (count < 1 || count > MAX_RUN_MESSAGES) return -1;
  const seq = buf.readDoubleLE(at + RUN_FIRST_SEQ_AT);
  if (!Number.isSafeInteger(seq) || seq < 1 || !Number.isSafeInteger(seq + count - 1)) return -1;
  const roomIdLen = buf[at + RUN_ROOM_ID_LENGTH_AT];
  const lengthsAt = RUN_ROOM_ID_AT + roomIdLen;
  const tracesAt = lengthsAt + RUN_ENVELOPE_LENGTH_BYTES * count;
  if (roomIdLen === 0 || roomIdLen > MAX_ROOM_ID_LENGTH || tracesAt > length) return -1;
  let joined = count - 1;
  for (let p = at + lengthsAt, end = at + tracesAt; p < end; p += RUN_ENVELOPE_LENGTH_BYTES) {
    const envelope = buf.readUInt32LE(p);
    if (envelope === 0) return -1;
    joined += envelope;
  }
  if (joined !== bodyLength) return -1;
  if (tracesAt !== length) {
    let p = at + tracesAt;
    const end = at + length;
    for (let i = 0; i < count; i += 1) {
      if (p >= end) return -1;
      const traceLen = buf[p];
      if (traceLen > MAX_TRACE_ID_LENGTH) return -1;
      p += 1 + traceLen;
    }
    if (p !== end) return -1;
  }
  return idBytesHash(buf, at + RUN_ROOM_ID_AT, at + lengthsAt);
}

// ---- Batch meta (delivered frame 1) ----

export function writeBatchMeta(
  buf: Buffer,
  lane: LaneCode,
  count: number,
  firstSeq: number,
  lastSeq: number,
): void {
  buf[BATCH_VERSION_AT] = BCAST_VERSION;
  buf[BATCH_LANE_AT] = lane;
  buf.writeUInt16LE(count, BATCH_COUNT_AT);
  buf.writeDoubleLE(firstSeq, BATCH_FIRST_SEQ_AT);
  buf.writeDoubleLE(lastSeq, BATCH_LAST_SEQ_AT);
}

/** The message count of a batch meta whose length is BATCH_META_LENGTH (other fields unchecked). */
export function batchMetaCount(meta: Buffer): number {
  return meta.readUInt16LE(BATCH_COUNT_AT);
}
