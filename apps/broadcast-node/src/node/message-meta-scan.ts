import { LaneCode, MAX_RUN_MESSAGES, RUN_ROOM_ID_OFFSET } from '@live-im/broadcast';

/** Offset of the room id in a message meta: lane u8, seq f64, roomIdLen u8. */
export const ROOM_ID_OFFSET = 10;
const MAX_ROOM_ID = 64;
const MAX_TRACE_ID = 64;
const FNV32_OFFSET = 0x811c9dc5;
const FNV32_PRIME = 0x01000193;
const NORMAL: number = LaneCode.normal;
const IMPORTANT: number = LaneCode.important;

/** 1 for the bytes a room id may hold: `[A-Za-z0-9_-]`. */
const ROOM_ID_BYTE = new Uint8Array(256);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-')
  ROOM_ID_BYTE[c.charCodeAt(0)] = 1;

/**
 * Checks the layout of the message meta at `buf[at..at+length)` (lengths, lane, seq: the checks of
 * decodeMessageMeta but for the characters) and returns the FNV-1a hash of its room id bytes, or -1
 * when it is malformed. It makes no object, no string and no Buffer view: this runs once per
 * message on the hot path, reading the meta where it lies in the PUSH message.
 *
 * The room id's characters are not checked here: a meta whose room is found among the subscribed
 * rooms has, byte for byte, a room id that was valid when subscribed. Only for a meta whose room
 * is not found does `hasValidRoomId` tell malformed from merely unsubscribed.
 */
export function scanMessageMeta(buf: Buffer, at: number, length: number): number {
  if (length < ROOM_ID_OFFSET + 1) return -1;
  const lane = buf[at];
  if (lane !== NORMAL && lane !== IMPORTANT) return -1;
  const roomIdLen = buf[at + 9];
  const roomEnd = ROOM_ID_OFFSET + roomIdLen;
  if (roomIdLen === 0 || roomIdLen > MAX_ROOM_ID || roomEnd > length) return -1;
  if (length !== roomEnd) {
    // An optional trace id follows: traceLen u8 (1..64), then its bytes.
    const traceLen = buf[at + roomEnd];
    if (traceLen < 1 || traceLen > MAX_TRACE_ID || length !== roomEnd + 1 + traceLen) return -1;
  }
  const seq = buf.readDoubleLE(at + 1);
  if (!Number.isSafeInteger(seq) || seq < 1) return -1;
  let hash = FNV32_OFFSET;
  for (let i = at + ROOM_ID_OFFSET, end = at + roomEnd; i < end; i += 1) {
    hash = Math.imul(hash ^ buf[i], FNV32_PRIME);
  }
  return hash >>> 0;
}

/** Whether the room id of a meta that passed scanMessageMeta holds only `[A-Za-z0-9_-]`. */
export function hasValidRoomId(buf: Buffer, metaAt: number): boolean {
  const from = metaAt + ROOM_ID_OFFSET;
  return hasValidIdBytes(buf, from, from + buf[metaAt + 9]);
}

/** Whether `buf[from..end)` holds only `[A-Za-z0-9_-]`. */
export function hasValidIdBytes(buf: Buffer, from: number, end: number): boolean {
  for (let i = from; i < end; i += 1) if (ROOM_ID_BYTE[buf[i]] !== 1) return false;
  return true;
}

/**
 * scanMessageMeta for a run meta (PUBLISH_RUNS) at `buf[at..at+length)` whose body is `bodyLength`
 * bytes: checks lane, seq range, count, room id length, that every envelope length is non-zero and
 * that they and the commas between them add up to the body, and the layout of an optional trace
 * block; returns the room id's hash, or -1 when malformed. Characters are left as there.
 */
export function scanRunMeta(buf: Buffer, at: number, length: number, bodyLength: number): number {
  if (length < RUN_ROOM_ID_OFFSET + 1) return -1;
  const lane = buf[at];
  if (lane !== NORMAL && lane !== IMPORTANT) return -1;
  const count = buf.readUInt16LE(at + 9);
  if (count < 1 || count > MAX_RUN_MESSAGES) return -1;
  const seq = buf.readDoubleLE(at + 1);
  if (!Number.isSafeInteger(seq) || seq < 1 || !Number.isSafeInteger(seq + count - 1)) return -1;
  const roomIdLen = buf[at + 11];
  const lengthsAt = RUN_ROOM_ID_OFFSET + roomIdLen;
  const tracesAt = lengthsAt + 4 * count;
  if (roomIdLen === 0 || roomIdLen > MAX_ROOM_ID || tracesAt > length) return -1;
  let joined = count - 1;
  for (let p = at + lengthsAt, end = at + tracesAt; p < end; p += 4) {
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
      if (traceLen > MAX_TRACE_ID) return -1;
      p += 1 + traceLen;
    }
    if (p !== end) return -1;
  }
  let hash = FNV32_OFFSET;
  for (let i = at + RUN_ROOM_ID_OFFSET, end = at + lengthsAt; i < end; i += 1) {
    hash = Math.imul(hash ^ buf[i], FNV32_PRIME);
  }
  return hash >>> 0;
}

/** The same hash over a room id string (ASCII), for rooms created from subscriptions. */
export function roomIdHash(roomId: string): number {
  let hash = FNV32_OFFSET;
  for (let i = 0; i < roomId.length; i += 1)
    hash = Math.imul(hash ^ (roomId.charCodeAt(i) & 0xff), FNV32_PRIME);
  return hash >>> 0;
}
