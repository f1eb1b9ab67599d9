import { packPairs } from '@live-im/zmq-transport';
import { FrameError } from './frames';
import {
  decodeRoomStateFrame,
  encodeRoomStateFrame,
  encodeRoomStates,
  readRoomStates,
  ROOM_STATE_LENGTH,
  type RoomState,
} from './room-state';

const state: RoomState = {
  roomId: 'room_1',
  count: 19_020,
  peak: 20_000,
  viewersEver: 31_337,
  normalSeq: 2 ** 40,
  importantSeq: 7,
};

describe('ROOM_STATE', () => {
  it('round trips a state frame of 41 bytes', () => {
    const frame = encodeRoomStateFrame(state);
    expect(frame.length).toBe(ROOM_STATE_LENGTH);
    expect(decodeRoomStateFrame('room_1', frame)).toEqual(state);
  });

  it('refuses values the frame cannot carry, and frames that break the layout', () => {
    expect(() => encodeRoomStateFrame({ ...state, count: -1 })).toThrow(FrameError);
    expect(() => encodeRoomStateFrame({ ...state, importantSeq: 1.5 })).toThrow(FrameError);
    const frame = encodeRoomStateFrame(state);
    expect(() => decodeRoomStateFrame('room_1', frame.subarray(1))).toThrow(FrameError);
    const badVersion = Buffer.from(frame);
    badVersion[0] = 9;
    expect(() => decodeRoomStateFrame('room_1', badVersion)).toThrow(FrameError);
    const badSeq = Buffer.from(frame);
    badSeq.writeDoubleLE(Number.NaN, 33);
    expect(() => decodeRoomStateFrame('room_1', badSeq)).toThrow(FrameError);
  });

  it('packs several rooms in one push and reads them back, leaving out bad records', () => {
    const batch = encodeRoomStates([state, { ...state, roomId: 'room_2', count: 3 }]);
    const read = readRoomStates(batch);
    expect(read.malformed).toBe(0);
    expect(read.rooms.map((r) => decodeRoomStateFrame(r.roomId, r.frame))).toEqual([
      state,
      { ...state, roomId: 'room_2', count: 3 },
    ]);

    const mixed = packPairs([
      Buffer.from('bad room'),
      encodeRoomStateFrame(state),
      Buffer.from('room_3'),
      Buffer.from('short'),
      Buffer.from('room_4'),
      encodeRoomStateFrame(state),
    ]);
    const partly = readRoomStates(mixed);
    expect(partly.malformed).toBe(2);
    expect(partly.rooms.map((r) => r.roomId)).toEqual(['room_4']);
    expect(() => readRoomStates(Buffer.from([1, 2, 3]))).toThrow(FrameError);
    expect(() => encodeRoomStates([{ ...state, roomId: 'no spaces' }])).toThrow(FrameError);
  });
});
