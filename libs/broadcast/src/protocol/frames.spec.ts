import { BroadcastCommand, LaneCode } from './commands';
import {
  bcastHeader,
  decodeBatchMeta,
  decodeMessageMeta,
  decodeRunMeta,
  encodeRun,
  encodeBatchMeta,
  encodeMessageMeta,
  FrameError,
  isTraceId,
  joinJsonBodies,
  readBcastHeader,
  roomOfTopic,
  roomTopic,
} from './frames';

describe('BCAST/1 frames', () => {
  it('round trips a message meta and rejects bad ones', () => {
    const meta = { roomId: 'room_42-a', lane: LaneCode.important, seq: 2 ** 40 + 7 };
    const buf = encodeMessageMeta(meta);
    expect(buf.length).toBe(10 + meta.roomId.length);
    expect(decodeMessageMeta(buf)).toEqual(meta);
    expect(() => encodeMessageMeta({ ...meta, roomId: 'no spaces' })).toThrow(FrameError);
    expect(() => decodeMessageMeta(buf.subarray(0, buf.length - 1))).toThrow(FrameError);
    const badLane = Buffer.from(buf);
    badLane[0] = 7;
    expect(() => decodeMessageMeta(badLane)).toThrow(FrameError);
    const badSeq = Buffer.from(buf);
    badSeq.writeDoubleLE(1.5, 1);
    expect(() => decodeMessageMeta(badSeq)).toThrow(FrameError);
    const badChar = Buffer.from(buf);
    badChar[10] = 0x20;
    expect(() => decodeMessageMeta(badChar)).toThrow(FrameError);
  });

  it('carries an optional trace id after the room id, and still reads metas without one', () => {
    const meta = { roomId: 'room-1', lane: LaneCode.normal, seq: 9, traceId: 'trace-Ab_9' };
    const buf = encodeMessageMeta(meta);
    expect(buf.length).toBe(10 + 6 + 1 + 10);
    expect(buf[16]).toBe(10);
    expect(decodeMessageMeta(buf)).toEqual(meta);
    const plain = decodeMessageMeta(encodeMessageMeta({ roomId: 'room-1', lane: LaneCode.normal, seq: 9 }));
    expect(plain).not.toHaveProperty('traceId');
    expect(() => encodeMessageMeta({ ...meta, traceId: 'with space' })).toThrow(FrameError);
    expect(() => encodeMessageMeta({ ...meta, traceId: 'x'.repeat(65) })).toThrow(FrameError);
    expect(() => decodeMessageMeta(buf.subarray(0, buf.length - 1))).toThrow(FrameError);
    expect(() => decodeMessageMeta(Buffer.concat([buf, Buffer.from('x')]))).toThrow(FrameError);
    const empty = Buffer.concat([buf.subarray(0, 16), Buffer.from([0])]);
    expect(() => decodeMessageMeta(empty)).toThrow(FrameError);
    const badChar = Buffer.from(buf);
    badChar[20] = 0x22;
    expect(() => decodeMessageMeta(badChar)).toThrow(FrameError);
  });

  it('takes only request ids that fit a meta as trace ids', () => {
    expect(isTraceId('0a1b2c3d4e5f')).toBe(true);
    expect(isTraceId(undefined)).toBe(false);
    expect(isTraceId('')).toBe(false);
    expect(isTraceId('é')).toBe(false);
    expect(isTraceId('x'.repeat(65))).toBe(false);
  });

  it('round trips a batch meta and checks its seq range', () => {
    const meta = { lane: LaneCode.normal, count: 3, firstSeq: 10, lastSeq: 14 };
    expect(decodeBatchMeta(encodeBatchMeta(meta))).toEqual(meta);
    expect(() => decodeBatchMeta(encodeBatchMeta({ ...meta, count: 6 }))).toThrow(FrameError);
    expect(() => decodeBatchMeta(Buffer.alloc(20))).toThrow(FrameError);
  });

  it('round trips a run and refuses one whose lengths, count or characters break the layout', () => {
    const bodies = [Buffer.from('{"a":1}'), Buffer.from('{"b":[1,2]}')];
    const [meta, body] = encodeRun(
      { roomId: 'room-1', lane: LaneCode.important, firstSeq: 7, traceIds: ['req-1', ''] },
      bodies,
    );
    expect(body.toString()).toBe('{"a":1},{"b":[1,2]}');
    expect(decodeRunMeta(meta, body.length)).toEqual({
      roomId: 'room-1',
      lane: LaneCode.important,
      firstSeq: 7,
      lengths: [7, 11],
      traceIds: ['req-1', ''],
    });
    const [plain] = encodeRun({ roomId: 'room-1', lane: LaneCode.normal, firstSeq: 1 }, bodies);
    expect(decodeRunMeta(plain, body.length).traceIds).toBeUndefined();
    expect(() => decodeRunMeta(plain, body.length + 1)).toThrow(FrameError);
    const zeroCount = Buffer.from(plain);
    zeroCount.writeUInt16LE(0, 9);
    expect(() => decodeRunMeta(zeroCount, body.length)).toThrow(FrameError);
    const badRoom = Buffer.from(plain);
    badRoom[12] = 0x20;
    expect(() => decodeRunMeta(badRoom, body.length)).toThrow(FrameError);
    expect(() => decodeRunMeta(Buffer.concat([plain, Buffer.from([3])]), body.length)).toThrow(FrameError);
    expect(() =>
      encodeRun({ roomId: 'room-1', lane: LaneCode.normal, firstSeq: 1 }, [Buffer.alloc(0)]),
    ).toThrow(FrameError);
    expect(() => encodeRun({ roomId: 'room-1', lane: LaneCode.normal, firstSeq: 1 }, [])).toThrow(FrameError);
  });

  it('uses topics that do not prefix-match other rooms', () => {
    expect(roomTopic('room1').toString()).toBe('r:room1:');
    expect(roomTopic('room12').subarray(0, roomTopic('room1').length).equals(roomTopic('room1'))).toBe(false);
    expect(roomOfTopic(roomTopic('room1'))).toBe('room1');
    expect(roomOfTopic(Buffer.from('topology'))).toBeUndefined();
  });

  it('joins pre-encoded bodies into one JSON array', () => {
    const joined = joinJsonBodies([Buffer.from('{"a":1}'), Buffer.from('{"b":2}')]);
    expect(JSON.parse(joined.toString())).toEqual([{ a: 1 }, { b: 2 }]);
    expect(joinJsonBodies([]).toString()).toBe('[]');
  });

  it('reads headers and refuses unknown commands', () => {
    expect(readBcastHeader(bcastHeader(BroadcastCommand.PUBLISH))).toBe(BroadcastCommand.PUBLISH);
    expect(() => readBcastHeader(Buffer.from([1, 0x99]))).toThrow(FrameError);
    expect(() => readBcastHeader(Buffer.from([2, 0x21]))).toThrow(FrameError);
  });
});
