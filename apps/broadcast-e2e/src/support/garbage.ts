import {
  BCAST_VERSION,
  bcastHeader,
  BroadcastCommand,
  encodeMessageMeta,
  encodeRun,
  LaneCode,
  MAX_ROOM_ID_LENGTH,
  MESSAGE_LANE_AT,
  MESSAGE_ROOM_ID_AT,
  MESSAGE_ROOM_ID_LENGTH_AT,
  MESSAGE_SEQ_AT,
  packPairs,
  RUN_COUNT_AT,
  RUN_FIRST_SEQ_AT,
  writeMessageMetaHead,
} from '@live-im/broadcast';
import { Garbage } from '@live-im/testing';

/**
 * A PUSH message a broadcast node must count as malformed exactly once and drop
 * (docs/broadcast-protocol.md "Publishing"): wrong frame counts, bad headers, batches that do not
 * parse or are truncated, and single-message batches whose meta or body is bad. None names a room
 * validly, so none can reach a subscriber.
 */
export function malformedPush(random: () => number): Buffer[] {
  const f = new Garbage(random);
  const header = bcastHeader(BroadcastCommand.PUBLISH);
  const goodMeta = () =>
    encodeMessageMeta({ roomId: `fuzz-${f.int(100)}`, lane: LaneCode.normal, seq: 1 + f.int(1000) });
  const body = () => Buffer.from(`{"id":"fuzz-${f.int(1000)}"}`);
  const badMeta = (): Buffer => {
    const meta = goodMeta();
    switch (f.int(7)) {
      case 0:
        meta[MESSAGE_LANE_AT] = 2 + f.int(254); // lane
        return meta;
      case 1:
        meta.writeDoubleLE(f.pick([0, -1, 1.5, Number.NaN, Infinity, 2 ** 53]), MESSAGE_SEQ_AT);
        return meta;
      case 2:
        meta[MESSAGE_ROOM_ID_LENGTH_AT] += 1 + f.int(100); // roomIdLen disagrees with the size
        return meta;
      case 3: {
        // A forbidden character in the room id.
        const at = MESSAGE_ROOM_ID_AT + f.int(meta.length - MESSAGE_ROOM_ID_AT);
        meta[at] = f.pick([0x20, 0x21, 0x3a, 0x2f, 0xff, 0x00]);
        return meta;
      }
      case 4:
        return f.truncated(meta);
      case 5: {
        // A room id one byte too long.
        const tooLong = MAX_ROOM_ID_LENGTH + 1;
        const long = Buffer.alloc(MESSAGE_ROOM_ID_AT + tooLong, 0x61);
        writeMessageMetaHead(long, 0, LaneCode.normal, 1, tooLong);
        return long;
      }
      default:
        return f.bytes(f.int(30));
    }
  };
  const runHeader = bcastHeader(BroadcastCommand.PUBLISH_RUNS);
  const goodRun = () =>
    encodeRun({ roomId: `fuzz-${f.int(100)}`, lane: LaneCode.normal, firstSeq: 1 + f.int(1000) }, [
      body(),
      body(),
    ]);
  const badRun = (): Buffer[] => {
    const [meta, joined] = goodRun();
    switch (f.int(6)) {
      case 0:
        meta.writeUInt16LE(f.pick([0, 3, 1025, 65535]), RUN_COUNT_AT);
        return [meta, joined];
      case 1:
        meta.writeUInt32LE(f.pick([0, 1, 5000]), meta.length - 4); // an envelope length
        return [meta, joined];
      case 2:
        return [meta, joined.subarray(0, f.int(joined.length))]; // body shorter than its lengths
      case 3:
        meta.writeDoubleLE(f.pick([0, -1, 1.5, Number.NaN, 2 ** 53]), RUN_FIRST_SEQ_AT);
        return [meta, joined];
      case 4:
        return [Buffer.concat([meta, Buffer.from([f.int(200)])]), joined]; // a truncated trace block
      default:
        return [meta.subarray(0, f.int(meta.length)), joined];
    }
  };
  const shapes: Array<() => Buffer[]> = [
    () => [f.bytes(f.int(40))],
    () => [header],
    () => [header, packPairs([goodMeta(), body()]), f.bytes(f.int(10))],
    () => [f.notAHeader(BCAST_VERSION), packPairs([goodMeta(), body()])],
    () => [Buffer.from([1, f.pick([0x31, 0x33, 0x38, 0x20, 0x23])]), packPairs([goodMeta(), body()])],
    () => [header, Buffer.alloc(0)],
    () => {
      // A first record longer than what follows.
      const buf = f.bytes(4 + f.int(40));
      buf.writeUInt32LE(buf.length + f.int(1_000_000), 0);
      return [header, buf];
    },
    () => [header, f.truncated(packPairs([goodMeta(), body()]))],
    () => [header, packPairs([goodMeta(), body(), goodMeta()])],
    () => [header, packPairs([goodMeta()])],
    () => [header, packPairs([badMeta(), body()])],
    () => [header, packPairs([goodMeta(), Buffer.alloc(0)])],
    () => [runHeader, packPairs(badRun())],
    () => [runHeader, packPairs([...goodRun(), goodRun()[0]])],
  ];
  return f.pick(shapes)();
}

/**
 * An NM/1 message the node manager must count as malformed exactly once and drop (frames, header,
 * direction, JSON or body), never one that registers or answers anything.
 */
export function malformedNm(random: () => number): Buffer[] {
  const f = new Garbage(random);
  const h = (command: number) => bcastHeader(command as BroadcastCommand);
  const json = (value: unknown) => Buffer.from(JSON.stringify(value));
  const register = { id: `fuzz-${f.int(1000)}`, kind: 'subscriber', region: 'home' };
  const badBodies: Array<() => Buffer[]> = [
    () => [h(BroadcastCommand.REGISTER), json({ ...register, id: f.pick(['', 'bad id!', 'x'.repeat(65)]) })],
    () => [h(BroadcastCommand.REGISTER), json({ ...register, kind: f.pick(['gateway', 'BROADCAST', 7]) })],
    () => [h(BroadcastCommand.REGISTER), json({ ...register, region: f.pick(['Home', '', 'b'.repeat(40)]) })],
    () => [h(BroadcastCommand.REGISTER), json({ ...register, kind: 'broadcast' })],
    () => [
      h(BroadcastCommand.REGISTER),
      json({ ...register, kind: 'broadcast', pull: 'http://x:1', pub: 'tcp://a:1' }),
    ],
    () => [h(BroadcastCommand.REGISTER), json({ ...register, extra: true })],
    () => [h(BroadcastCommand.REGISTER), json({ ...register, state: 'asleep' })],
    () => [h(BroadcastCommand.HEARTBEAT), json({ id: register.id, extra: 1 })],
    () => [h(BroadcastCommand.HEARTBEAT), json({ id: register.id, load: { msgsIn: -1 } })],
    () => [h(BroadcastCommand.HEARTBEAT), json({ id: register.id, connected: 'bn-1' })],
    () => [h(BroadcastCommand.HEARTBEAT), json({})],
    () => [h(BroadcastCommand.DRAIN), json({ id: 5 })],
    () => [h(BroadcastCommand.GET_TOPOLOGY), json({ a: 1 })],
    () => [
      h(f.pick([BroadcastCommand.REGISTER, BroadcastCommand.HEARTBEAT])),
      json(f.pick([null, [1, 2], 42, 'x', true])),
    ],
  ];
  const shapes: Array<() => Buffer[]> = [
    () => [f.bytes(f.int(40))],
    () => [h(BroadcastCommand.REGISTER), json(register), json(register)],
    () => [h(BroadcastCommand.HEARTBEAT), json({ id: 'x' }), f.bytes(f.int(10)), f.bytes(f.int(10))],
    () => [f.notAHeader(BCAST_VERSION), json(register)],
    () => [Buffer.from([1, 0x39 + f.int(200)]), json(register)],
    () => [Buffer.from([1, f.pick([0x00, 0x30, 0x3f])]), json(register)],
    () => [
      h(
        f.pick([
          BroadcastCommand.PUBLISH,
          BroadcastCommand.REGISTERED,
          BroadcastCommand.HEARTBEAT_ACK,
          BroadcastCommand.UNKNOWN,
          BroadcastCommand.TOPOLOGY,
        ]),
      ),
      json({ topology: { version: 1, updatedAt: 1, nodes: [] } }),
    ],
    () => [
      h(f.pick([BroadcastCommand.REGISTER, BroadcastCommand.HEARTBEAT, BroadcastCommand.DRAIN])),
      f.truncated(json(register)),
    ],
    () => [h(BroadcastCommand.GET_TOPOLOGY), Buffer.from([0xff, ...f.bytes(f.int(20))])],
    ...badBodies,
  ];
  return f.pick(shapes)();
}
