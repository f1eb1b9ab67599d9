import { packPairs, unpackPairs } from '@live-im/zmq-transport';
import { BCAST_VERSION } from './commands';
import { FrameError, roomIdBytes } from './frames';
import { hasValidIdBytes, MAX_ROOM_ID_LENGTH } from './meta-layout';

/**
 * A room's state as its aggregation owner sees it once a second (docs/broadcast-protocol.md
 * "Room state"): the online figures summed over the live gateways and the latest seq of each lane.
 */
export interface RoomState {
  roomId: string;
  /** Viewers online: the sum of the live gateways' distinct users. */
  count: number;
  peak: number;
  viewersEver: number;
  /** The latest seq given out on each lane (0 before the first message). */
  normalSeq: number;
  importantSeq: number;
}

/** The state frame: version u8, then count, peak, viewersEver, normalSeq, importantSeq as f64. */
export const ROOM_STATE_LENGTH = 41;
const FIELDS = ['count', 'peak', 'viewersEver', 'normalSeq', 'importantSeq'] as const;

/** The 41-byte state frame of one room (the same bytes in the PUSH record and the delivered frame). */
export function encodeRoomStateFrame(state: Omit<RoomState, 'roomId'>): Buffer {
  const buf = Buffer.allocUnsafe(ROOM_STATE_LENGTH);
  buf[0] = BCAST_VERSION;
  FIELDS.forEach((field, i) => {
    const value = state[field];
    if (!Number.isSafeInteger(value) || value < 0) throw new FrameError(`${field} must be an integer ≥ 0`);
    buf.writeDoubleLE(value, 1 + 8 * i);
  });
  return buf;
}

/** Reads and checks a state frame; throws FrameError for one that breaks the layout. */
export function decodeRoomStateFrame(roomId: string, buf: Buffer): RoomState {
  if (buf.length !== ROOM_STATE_LENGTH) throw new FrameError(`room state must be ${ROOM_STATE_LENGTH} bytes`);
  if (buf[0] !== BCAST_VERSION) throw new FrameError(`unsupported room state version ${buf[0]}`);
  const values = FIELDS.map((field, i) => {
    const value = buf.readDoubleLE(1 + 8 * i);
    if (!Number.isSafeInteger(value) || value < 0) throw new FrameError(`${field} must be an integer ≥ 0`);
    return value;
  });
  const [count, peak, viewersEver, normalSeq, importantSeq] = values as [
    number,
    number,
    number,
    number,
    number,
  ];
  return { roomId, count, peak, viewersEver, normalSeq, importantSeq };
}

/** The batch frame of a ROOM_STATE push: one (room id, state frame) record pair per room. */
export function encodeRoomStates(states: readonly RoomState[]): Buffer {
  if (states.length === 0) throw new FrameError('a room state push holds at least one room');
  return packPairs(states.flatMap((state) => [roomIdBytes(state.roomId), encodeRoomStateFrame(state)]));
}

/**
 * The records of a ROOM_STATE batch as (room id, state frame) pairs, room ids checked; a pair that
 * breaks the layout is left out and counted in `malformed` (the rest still go).
 * Throws FrameError when the batch itself is not a list of pairs.
 */
export function readRoomStates(batch: Buffer): {
  rooms: Array<{ roomId: string; frame: Buffer }>;
  malformed: number;
} {
  const records = unpackPairs(batch);
  const rooms: Array<{ roomId: string; frame: Buffer }> = [];
  let malformed = 0;
  for (let i = 0; i < records.length; i += 2) {
    const id = records[i];
    const frame = records[i + 1];
    if (
      id.length < 1 ||
      id.length > MAX_ROOM_ID_LENGTH ||
      !hasValidIdBytes(id, 0, id.length) ||
      frame.length !== ROOM_STATE_LENGTH ||
      frame[0] !== BCAST_VERSION
    ) {
      malformed += 1;
      continue;
    }
    rooms.push({ roomId: id.toString('latin1'), frame });
  }
  return { rooms, malformed };
}
