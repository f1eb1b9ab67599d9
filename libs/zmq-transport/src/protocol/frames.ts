import { isUtf8 } from 'node:buffer';
import { Command, isCommand, PROTOCOL_VERSION, ReplyStatus } from './command';

/**
 * Binary layouts of the small frames every RPC hop reads. Bodies are never parsed on the way
 * through: the broker reads only these metas. All integers little-endian.
 */

export class FrameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FrameError';
  }
}

const HEADERS: Buffer[] = [];
/** The 2-byte header frame [version, command]; cached, never mutate it. */
export function header(command: Command): Buffer {
  let h = HEADERS[command];
  if (!h) {
    h = Buffer.from([PROTOCOL_VERSION, command]);
    HEADERS[command] = h;
  }
  return h;
}

export function readHeader(frame: Buffer | undefined): Command {
  if (!frame || frame.length !== 2) throw new FrameError('header frame must be 2 bytes');
  if (frame[0] !== PROTOCOL_VERSION) throw new FrameError(`unsupported protocol version ${frame[0]}`);
  const command = frame[1];
  if (!isCommand(command)) throw new FrameError(`unknown command ${command}`);
  return command;
}

export interface RequestMeta {
  id: number;
  /** Milliseconds left before the deadline; 0 means already expired. */
  timeoutMs: number;
  flags: number;
  codec: number;
  pattern: string;
  /** Request id for logs, carried across every hop; may be empty. */
  traceId: string;
}

/**
 * u32 LE by hand rather than Buffer's readUInt32LE/writeUInt32LE: the frames here are Buffers of
 * two kinds (zeromq.js's received frames, Node's pooled ones), which made every method call site
 * polymorphic; indexed bytes are not. Callers check the bounds first.
 */
function readU32(buf: Buffer, at: number): number {
  return (buf[at] | (buf[at + 1] << 8) | (buf[at + 2] << 16)) + buf[at + 3] * 0x1000000;
}

function writeU32(buf: Buffer, at: number, value: number): void {
  buf[at] = value & 0xff;
  buf[at + 1] = (value >>> 8) & 0xff;
  buf[at + 2] = (value >>> 16) & 0xff;
  buf[at + 3] = value >>> 24;
}

/**
 * The last few strings read from meta bytes, with those bytes: a worker or broker reads the same
 * few patterns on every call, and comparing a few bytes costs less than a new string each time
 * (a native call, an allocation and a string-table lookup per call).
 */
class RecentStrings {
  private readonly bytes: Buffer[] = [];
  private readonly strings: string[] = [];
  private next = 0;

  constructor(private readonly capacity: number) {}

  read(buf: Buffer, start: number, end: number, encoding: 'utf8' | 'latin1'): string {
    const length = end - start;
    for (let k = 0; k < this.bytes.length; k += 1) {
      const known = this.bytes[k];
      if (known.length !== length) continue;
      let i = 0;
      while (i < length && known[i] === buf[start + i]) i += 1;
      if (i === length) return this.strings[k];
    }
    const text = buf.toString(encoding, start, end);
    // A copy: the frame's bytes belong to a message that is rewritten in place and then dropped.
    this.bytes[this.next] = Buffer.from(buf.subarray(start, end));
    this.strings[this.next] = text;
    this.next = (this.next + 1) % this.capacity;
    return text;
  }
}

const recentPatterns = new RecentStrings(8);
const recentServices = new RecentStrings(8);

const REQUEST_FIXED = 12; // id(4) timeout(4) flags(1) codec(1) patternLen(1) traceLen(1)
const MAX_U32 = 0xffffffff;

export function encodeRequestMeta(meta: RequestMeta): Buffer {
  const patternLen = utf8Length(meta.pattern);
  const traceLen = utf8Length(meta.traceId);
  if (patternLen === 0 || patternLen > 255) throw new FrameError('pattern must be 1..255 bytes');
  if (traceLen > 255) throw new FrameError('trace id must be at most 255 bytes');
  const buf = Buffer.allocUnsafe(REQUEST_FIXED + patternLen + traceLen);
  writeU32(buf, 0, meta.id >>> 0);
  writeU32(buf, 4, Math.max(0, Math.min(MAX_U32, Math.floor(meta.timeoutMs))));
  buf[8] = meta.flags;
  buf[9] = meta.codec;
  buf[10] = patternLen;
  writeUtf8(buf, meta.pattern, patternLen, 11);
  buf[11 + patternLen] = traceLen;
  writeUtf8(buf, meta.traceId, traceLen, 12 + patternLen);
  return buf;
}

/**
 * UTF-8 length of a short string. Patterns and trace ids are ASCII in practice, and a few char
 * codes checked here cost less than the native call: every call's meta measures two of them.
 */
export function utf8Length(text: string): number {
  for (let i = 0; i < text.length; i += 1) {
    if (text.charCodeAt(i) >= 0x80) return Buffer.byteLength(text);
  }
  return text.length;
}

/** Writes `text`, `bytes` long in UTF-8 (utf8Length), at `at`; ASCII byte by byte, not natively. */
function writeUtf8(buf: Buffer, text: string, bytes: number, at: number): void {
  if (bytes !== text.length) {
    buf.write(text, at, 'utf8');
    return;
  }
  for (let i = 0; i < bytes; i += 1) buf[at + i] = text.charCodeAt(i);
}

export function decodeRequestMeta(buf: Buffer): RequestMeta {
  if (buf.length < REQUEST_FIXED + 1) throw new FrameError('request meta too short');
  const patternLen = buf[10];
  if (patternLen === 0) throw new FrameError('empty pattern');
  const traceAt = 11 + patternLen;
  if (buf.length < traceAt + 1) throw new FrameError('request meta truncated');
  const traceLen = buf[traceAt];
  if (buf.length !== REQUEST_FIXED + patternLen + traceLen)
    throw new FrameError('request meta length mismatch');
  assertUtf8Pattern(buf, traceAt);
  return {
    id: readU32(buf, 0),
    timeoutMs: readU32(buf, 4),
    flags: buf[8],
    codec: buf[9],
    pattern: recentPatterns.read(buf, 11, traceAt, 'utf8'),
    traceId: traceLen === 0 ? '' : buf.toString('utf8', traceAt + 1, traceAt + 1 + traceLen),
  };
}

/**
 * What the broker needs of a request meta without decoding the pattern into a string every time:
 * the id and timeout it rewrites in place, the flags, and the raw pattern bytes for the route.
 */
export function peekRequestMeta(buf: Buffer): {
  id: number;
  timeoutMs: number;
  flags: number;
  patternLen: number;
} {
  if (buf.length < REQUEST_FIXED + 1) throw new FrameError('request meta too short');
  const patternLen = buf[10];
  if (patternLen === 0) throw new FrameError('empty pattern');
  const traceAt = 11 + patternLen;
  if (buf.length < traceAt + 1) throw new FrameError('request meta truncated');
  if (buf.length !== REQUEST_FIXED + patternLen + buf[traceAt]) {
    throw new FrameError('request meta length mismatch');
  }
  assertUtf8Pattern(buf, traceAt);
  return { id: readU32(buf, 0), timeoutMs: readU32(buf, 4), flags: buf[8], patternLen };
}

/**
 * A pattern names a handler: bytes that are not UTF-8 cannot name one, and decoding them would
 * turn them into U+FFFD and route a different name. ASCII (every real pattern) is checked inline.
 */
function assertUtf8Pattern(buf: Buffer, end: number): void {
  for (let i = 11; i < end; i += 1) {
    if (buf[i] >= 0x80) {
      if (!isUtf8(buf.subarray(11, end))) throw new FrameError('pattern is not valid UTF-8');
      return;
    }
  }
}

/** The pattern's service part (before the first dot), read straight from a request meta. */
export function serviceOfRequestMeta(buf: Buffer, patternLen: number): string {
  const end = 11 + patternLen;
  let dot = 11;
  while (dot < end && buf[dot] !== 0x2e) dot += 1;
  return recentServices.read(buf, 11, dot, 'latin1');
}

/** The trace id of a well-formed request meta ('' when it has none); for the broker's log lines. */
export function traceOfRequestMeta(buf: Buffer, patternLen: number): string {
  const traceAt = 11 + patternLen;
  return buf.toString('utf8', traceAt + 1, traceAt + 1 + buf[traceAt]);
}

/** Rewrites id and remaining timeout of a request meta in place (the broker's hop). */
export function rewriteRequestMeta(buf: Buffer, id: number, timeoutMs: number): void {
  writeU32(buf, 0, id >>> 0);
  writeU32(buf, 4, Math.max(0, Math.min(MAX_U32, Math.floor(timeoutMs))));
}

export interface ReplyMeta {
  id: number;
  status: ReplyStatus;
  codec: number;
}

export const REPLY_META_LENGTH = 6;

export function encodeReplyMeta(id: number, status: ReplyStatus, codec: number): Buffer {
  const buf = Buffer.allocUnsafe(REPLY_META_LENGTH);
  writeU32(buf, 0, id >>> 0);
  buf[4] = status;
  buf[5] = codec;
  return buf;
}

export function decodeReplyMeta(buf: Buffer): ReplyMeta {
  if (buf.length !== REPLY_META_LENGTH) throw new FrameError('reply meta must be 6 bytes');
  const status = buf[4];
  if (status > ReplyStatus.END) throw new FrameError(`unknown reply status ${status}`);
  return { id: readU32(buf, 0), status: status as ReplyStatus, codec: buf[5] };
}

export function isFinalStatus(status: ReplyStatus): boolean {
  return status !== ReplyStatus.NEXT;
}

/** Rewrites the id of a reply meta in place (the broker maps its own id back to the caller's). */
export function rewriteReplyId(buf: Buffer, id: number): void {
  writeU32(buf, 0, id >>> 0);
}

/**
 * On the wire a REQUEST or REPLY is [header, batch]: every (meta, body) pair of the message packed
 * in one frame as records `u32 LE length, bytes`. One frame instead of two per call: zeromq.js
 * pays a native call and a Buffer per frame, which dominated the cost of a coalesced message.
 */
export function packPairs(frames: readonly Buffer[]): Buffer {
  let size = 0;
  for (const frame of frames) size += 4 + frame.length;
  const batch = Buffer.allocUnsafe(size);
  let at = 0;
  for (const frame of frames) {
    writeU32(batch, at, frame.length);
    batch.set(frame, at + 4);
    at += 4 + frame.length;
  }
  return batch;
}

/** The records of a batch frame, as views into it (no copy). */
export function unpackPairs(batch: Buffer): Buffer[] {
  const parts: Buffer[] = [];
  let at = 0;
  while (at < batch.length) {
    if (at + 4 > batch.length) throw new FrameError('batch record length truncated');
    const length = readU32(batch, at);
    at += 4;
    if (at + length > batch.length) throw new FrameError('batch record truncated');
    parts.push(batch.subarray(at, at + length));
    at += length;
  }
  if (parts.length < 2 || parts.length % 2 !== 0) throw new FrameError('a batch holds (meta, body) pairs');
  return parts;
}

/**
 * How many (meta, body) pairs a batch frame holds, checking its layout as unpackPairs does but
 * without a Buffer view per record: for a reader that walks the records where they lie.
 * Throws FrameError when unpackPairs would.
 */
export function countPairs(batch: Buffer): number {
  let records = 0;
  let at = 0;
  while (at < batch.length) {
    if (at + 4 > batch.length) throw new FrameError('batch record length truncated');
    at += 4 + readU32(batch, at);
    if (at > batch.length) throw new FrameError('batch record truncated');
    records += 1;
  }
  if (records < 2 || records % 2 !== 0) throw new FrameError('a batch holds (meta, body) pairs');
  return records / 2;
}

/**
 * [...envelope, header, batch] → [...envelope, header, meta, body, meta, body, ...], so a receiver
 * walks the pairs of a REQUEST or REPLY by index.
 */
export function expandPairs(frames: Buffer[], headerIndex: number): Buffer[] {
  const batch = frames[headerIndex + 1];
  if (batch === undefined || frames.length !== headerIndex + 2) {
    throw new FrameError('REQUEST and REPLY carry exactly one batch frame');
  }
  const expanded = frames.slice(0, headerIndex + 1);
  for (const part of unpackPairs(batch)) expanded.push(part);
  return expanded;
}

/** Frames after the header of a REQUEST or REPLY come in (meta, body) pairs. */
export function assertPairs(frames: readonly Buffer[], from: number): void {
  const n = frames.length - from;
  if (n < 2 || n % 2 !== 0) throw new FrameError('expected (meta, body) pairs after the header');
}
