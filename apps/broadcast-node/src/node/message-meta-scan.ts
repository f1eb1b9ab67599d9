import { LaneCode } from '@live-im/broadcast';

/** Offset of the room id in a message meta: lane u8, seq f64, roomIdLen u8. */
export const ROOM_ID_OFFSET = 10;
const MAX_ROOM_ID = 64;
const MAX_TRACE_ID = 64;
const FNV32_OFFSET = 0x811c9dc5;
const FNV32_PRIME = 0x01000193;
const NORMAL: number = LaneCode.normal;
const IMPORTANT: number = LaneCode.important;

function isRoomIdByte(b: number): boolean {
  return (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b === 0x5f || b === 0x2d;
}

/**
 * Validates a message meta (the checks of decodeMessageMeta, but for the trace id's characters,
 * which only a debug log line reads) and returns the FNV-1a hash of its room id, or -1 when it is
 * malformed. It makes no object and no string: this runs once per message on the hot path, where
 * decodeMessageMeta's allocations cost a third of the throughput.
 */
export function scanMessageMeta(meta: Buffer): number {
  const length = meta.length;
  if (length < ROOM_ID_OFFSET + 1) return -1;
  const lane = meta[0];
  if (lane !== NORMAL && lane !== IMPORTANT) return -1;
  const roomIdLen = meta[9] as number;
  const roomEnd = ROOM_ID_OFFSET + roomIdLen;
  if (roomIdLen > MAX_ROOM_ID || roomEnd > length) return -1;
  if (length !== roomEnd) {
    // An optional trace id follows: traceLen u8 (1..64), then its bytes.
    const traceLen = meta[roomEnd] as number;
    if (traceLen < 1 || traceLen > MAX_TRACE_ID || length !== roomEnd + 1 + traceLen) return -1;
  }
  const seq = meta.readDoubleLE(1);
  if (!Number.isSafeInteger(seq) || seq < 1) return -1;
  let hash = FNV32_OFFSET;
  for (let i = ROOM_ID_OFFSET; i < roomEnd; i += 1) {
    const b = meta[i] as number;
    if (!isRoomIdByte(b)) return -1;
    hash = Math.imul(hash ^ b, FNV32_PRIME);
  }
  return hash >>> 0;
}

/** The same hash over a room id string (ASCII), for rooms created from subscriptions. */
export function roomIdHash(roomId: string): number {
  let hash = FNV32_OFFSET;
  for (let i = 0; i < roomId.length; i += 1) hash = Math.imul(hash ^ (roomId.charCodeAt(i) & 0xff), FNV32_PRIME);
  return hash >>> 0;
}
