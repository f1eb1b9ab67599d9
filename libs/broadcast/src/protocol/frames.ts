import { FrameError, packPairs, unpackPairs } from '@live-im/zmq-transport';
import { BCAST_VERSION, BroadcastCommand, isBroadcastCommand, LaneCode } from './commands';

export { FrameError, packPairs, unpackPairs };

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
  const command = frame[1] as number;
  if (!isBroadcastCommand(command)) throw new FrameError(`unknown command ${command}`);
  return command;
}

const ROOM_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** What a publisher says of one message: its room, lane and seq. */
export interface MessageMeta {
  roomId: string;
  lane: LaneCode;
  seq: number;
}

export function encodeMessageMeta(meta: MessageMeta): Buffer {
  if (!ROOM_ID.test(meta.roomId)) throw new FrameError('room id must match [A-Za-z0-9_-]{1,64}');
  const buf = Buffer.allocUnsafe(10 + meta.roomId.length);
  buf[0] = meta.lane;
  buf.writeDoubleLE(meta.seq, 1);
  buf[9] = meta.roomId.length;
  buf.write(meta.roomId, 10, 'latin1');
  return buf;
}

function isRoomIdByte(b: number): boolean {
  return (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b === 0x5f || b === 0x2d;
}

export function decodeMessageMeta(buf: Buffer): MessageMeta {
  if (buf.length < 11) throw new FrameError('message meta too short');
  const lane = buf[0] as number;
  if (lane !== LaneCode.normal && lane !== LaneCode.important) throw new FrameError(`unknown lane ${lane}`);
  const seq = buf.readDoubleLE(1);
  if (!Number.isSafeInteger(seq) || seq < 1) throw new FrameError('seq must be a positive integer');
  const roomIdLen = buf[9] as number;
  if (roomIdLen < 1 || roomIdLen > 64 || buf.length !== 10 + roomIdLen) throw new FrameError('bad room id length');
  for (let i = 10; i < buf.length; i += 1) {
    if (!isRoomIdByte(buf[i] as number)) throw new FrameError('room id has a forbidden character');
  }
  return { lane: lane as LaneCode, seq, roomId: buf.toString('latin1', 10) };
}

/** `r:<roomId>:` — the trailing colon keeps `r:room1` from matching `r:room12`. */
export function roomTopic(roomId: string): Buffer {
  return Buffer.from(`r:${roomId}:`, 'latin1');
}

/** The room of a topic frame, or undefined when it is not a room topic. */
export function roomOfTopic(topic: Buffer): string | undefined {
  if (topic.length < 4 || topic[0] !== 0x72 || topic[1] !== 0x3a || topic[topic.length - 1] !== 0x3a) return undefined;
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

export const BATCH_META_LENGTH = 20;

export function encodeBatchMeta(meta: BatchMeta): Buffer {
  const buf = Buffer.allocUnsafe(BATCH_META_LENGTH);
  buf[0] = BCAST_VERSION;
  buf[1] = meta.lane;
  buf.writeUInt16LE(meta.count, 2);
  buf.writeDoubleLE(meta.firstSeq, 4);
  buf.writeDoubleLE(meta.lastSeq, 12);
  return buf;
}

export function decodeBatchMeta(buf: Buffer): BatchMeta {
  if (buf.length !== BATCH_META_LENGTH) throw new FrameError('batch meta must be 20 bytes');
  if (buf[0] !== BCAST_VERSION) throw new FrameError(`unsupported batch version ${buf[0]}`);
  const lane = buf[1] as number;
  if (lane !== LaneCode.normal && lane !== LaneCode.important) throw new FrameError(`unknown lane ${lane}`);
  const count = buf.readUInt16LE(2);
  const firstSeq = buf.readDoubleLE(4);
  const lastSeq = buf.readDoubleLE(12);
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
    parts.push(bodies[i] as Buffer);
  }
  parts.push(CLOSE);
  return Buffer.concat(parts);
}

/** An NM/1 message: header and one JSON body. */
export function nmMessage(command: BroadcastCommand, body: unknown): Buffer[] {
  return [bcastHeader(command), Buffer.from(JSON.stringify(body))];
}
