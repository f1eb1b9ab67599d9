import { LaneCode } from './commands';
import { decodeMessageMeta, decodeRunMeta, encodeMessageMeta, encodeRun, FrameError } from './frames';
import {
  hasValidMessageRoomId,
  messageHasTraceId,
  messageRoomIdLength,
  messageSeq,
  roomIdHash,
  runCount,
  runEnvelopeLength,
  runEnvelopeLengthsAt,
  runFirstSeq,
  runHasTraceIds,
  runRoomIdLength,
  scanMessageMeta,
  scanRunMeta,
} from './meta-layout';

/** Whether `decode` accepts the meta (FrameError = malformed). */
function decodes(decode: () => unknown): boolean {
  try {
    decode();
    return true;
  } catch (error) {
    if (error instanceof FrameError) return false;
    throw error;
  }
}

describe('BCAST/1 meta layout: the in-place readers agree with the decoders', () => {
  it('reads a message meta where it lies in a larger buffer', () => {
    const meta = encodeMessageMeta({
      roomId: 'room-7',
      lane: LaneCode.important,
      seq: 2 ** 40,
      traceId: 'req-1',
    });
    const buf = Buffer.concat([Buffer.from('xyz'), meta, Buffer.from('tail')]);
    expect(scanMessageMeta(buf, 3, meta.length)).toBe(roomIdHash('room-7'));
    expect(messageSeq(buf, 3)).toBe(2 ** 40);
    expect(messageRoomIdLength(buf, 3)).toBe(6);
    expect(messageHasTraceId(buf, 3, meta.length)).toBe(true);
    const untraced = encodeMessageMeta({ roomId: 'room-7', lane: LaneCode.normal, seq: 1 });
    expect(messageHasTraceId(untraced, 0, untraced.length)).toBe(false);
  });

  it('reads a run meta where it lies in a larger buffer', () => {
    const bodies = [Buffer.from('{"a":1}'), Buffer.from('{"b":22}')];
    const [meta, body] = encodeRun(
      { roomId: 'r1', lane: LaneCode.normal, firstSeq: 9, traceIds: ['', 't'] },
      bodies,
    );
    const buf = Buffer.concat([Buffer.from('ab'), meta]);
    expect(scanRunMeta(buf, 2, meta.length, body.length)).toBe(roomIdHash('r1'));
    expect(runFirstSeq(buf, 2)).toBe(9);
    expect(runCount(buf, 2)).toBe(2);
    expect(runRoomIdLength(buf, 2)).toBe(2);
    const lengthsAt = runEnvelopeLengthsAt(buf, 2);
    expect([runEnvelopeLength(buf, lengthsAt, 0), runEnvelopeLength(buf, lengthsAt, 1)]).toEqual([7, 8]);
    expect(runHasTraceIds(buf, 2, meta.length)).toBe(true);
    const [plain] = encodeRun({ roomId: 'r1', lane: LaneCode.normal, firstSeq: 9 }, bodies);
    expect(runHasTraceIds(plain, 0, plain.length)).toBe(false);
  });

  it('scanMessageMeta (plus the room id check) accepts what decodeMessageMeta accepts, trace characters aside', () => {
    const good = encodeMessageMeta({ roomId: 'room_1', lane: LaneCode.normal, seq: 5, traceId: 'abc' });
    let seed = 7;
    const random = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    for (let i = 0; i < 5000; i += 1) {
      const meta = Buffer.from(good.subarray(0, good.length - random(3)));
      for (let k = random(3); k > 0; k -= 1) meta[random(meta.length)] = random(256);
      const scanned = scanMessageMeta(meta, 0, meta.length) >= 0 && hasValidMessageRoomId(meta, 0);
      const decoded = decodes(() => decodeMessageMeta(meta));
      if (decoded) expect(scanned).toBe(true);
      // The scan leaves a trace id's characters unchecked (only debug logs read it): the one difference.
      if (scanned && !decoded) expect(messageHasTraceId(meta, 0, meta.length)).toBe(true);
    }
  });

  it('scanRunMeta accepts every run decodeRunMeta accepts and rejects malformed layouts', () => {
    const [meta, body] = encodeRun({ roomId: 'room', lane: LaneCode.important, firstSeq: 3 }, [
      Buffer.from('{}'),
      Buffer.from('[1]'),
    ]);
    expect(scanRunMeta(meta, 0, meta.length, body.length)).toBe(roomIdHash('room'));
    expect(scanRunMeta(meta, 0, meta.length, body.length - 1)).toBe(-1);
    expect(scanRunMeta(meta, 0, meta.length - 1, body.length)).toBe(-1);
    const zeroCount = Buffer.from(meta);
    zeroCount.writeUInt16LE(0, 9);
    expect(scanRunMeta(zeroCount, 0, zeroCount.length, body.length)).toBe(-1);
    expect(decodes(() => decodeRunMeta(zeroCount, body.length))).toBe(false);
  });
});
