import {
  decodeBatchMeta,
  decodeMessageMeta,
  LaneCode,
  roomOfTopic,
  rendezvousOwner,
  type BatchMeta,
  type MessageMeta,
} from '@live-im/broadcast';
import { important, normal, pushFrames, runFrames } from './__tests__/push-frames';
import { DEFAULT_MERGE_LIMITS, type MergeLimits } from './merge-limits';
import { LANE_IDLE_RESET_MS, MAX_PARKED_PER_LANE } from './room-lane';
import { RoomMerger } from './room-merger';

interface Published {
  roomId: string;
  meta: BatchMeta;
  seqs: number[];
}

/** A merger publishing into `out`. Without a reorder hold unless asked: these specs are about merging. */
function setup(limits: Partial<MergeLimits> = {}) {
  const out: Published[] = [];
  const merger = new RoomMerger({ ...DEFAULT_MERGE_LIMITS, reorderHoldMs: 0, ...limits }, (frames) => {
    const [topic, meta, body] = frames as [Buffer, Buffer, Buffer];
    const envelopes = JSON.parse(body.toString()) as Array<{ seq: number }>;
    out.push({ roomId: roomOfTopic(topic)!, meta: decodeBatchMeta(meta), seqs: envelopes.map((e) => e.seq) });
  });
  return { merger, out };
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('RoomMerger', () => {
  it('takes messages whose meta carries a trace id like any other, and shows them to the trace observer', () => {
    const out: Published[] = [];
    const traced: MessageMeta[] = [];
    const merger = new RoomMerger(
      { ...DEFAULT_MERGE_LIMITS, reorderHoldMs: 0 },
      (frames) => {
        const [topic, meta, body] = frames as [Buffer, Buffer, Buffer];
        const envelopes = JSON.parse(body.toString()) as Array<{ seq: number }>;
        out.push({
          roomId: roomOfTopic(topic)!,
          meta: decodeBatchMeta(meta),
          seqs: envelopes.map((e) => e.seq),
        });
      },
      undefined,
      (meta) => traced.push(decodeMessageMeta(meta)),
    );
    merger.setSubscribers('a', 1, 0);
    merger.acceptPush(pushFrames([{ ...important('a', 1), traceId: 'trace-1' }, important('a', 2)]), 0);
    expect(out.map((p) => p.seqs)).toEqual([[1, 2]]);
    expect(traced).toEqual([{ roomId: 'a', lane: LaneCode.important, seq: 1, traceId: 'trace-1' }]);
    expect(merger.counters).toMatchObject({ msgsIn: 2, malformed: 0 });
  });

  it('does no merge work for rooms without subscribers and counts their messages', () => {
    const { merger, out } = setup();
    merger.acceptPush(pushFrames([normal('a', 1), important('a', 1)]), 0);
    merger.expire(1000);
    expect(out).toEqual([]);
    expect(merger.counters).toMatchObject({ msgsIn: 2, noSubscriber: 2, msgsOut: 0 });
  });

  it('closes a normal window after MERGE_WINDOW_MS, as one frame in seq order', () => {
    const { merger, out } = setup({ windowMs: 20 });
    merger.setSubscribers('a', 1, 0);
    merger.acceptPush(pushFrames([normal('a', 1), normal('a', 2)]), 100);
    merger.acceptPush(pushFrames([normal('a', 3)]), 110);
    merger.expire(119);
    expect(out).toEqual([]);
    merger.expire(120);
    expect(out).toEqual([
      { roomId: 'a', meta: { lane: LaneCode.normal, count: 3, firstSeq: 1, lastSeq: 3 }, seqs: [1, 2, 3] },
    ]);
    // The next message opens a new window with its own deadline.
    merger.acceptPush(pushFrames([normal('a', 4)]), 130);
    merger.expire(149);
    expect(out).toHaveLength(1);
    merger.expire(150);
    expect(out[1]?.seqs).toEqual([4]);
  });

  it('closes a normal window at MERGE_MAX_MESSAGES, and a stale deadline does not cut the next window', () => {
    const { merger, out } = setup({ windowMs: 20, maxMessages: 4 });
    merger.setSubscribers('a', 1, 0);
    merger.acceptPush(pushFrames(range(1, 6).map((s) => normal('a', s))), 0);
    expect(out.map((p) => p.seqs)).toEqual([[1, 2, 3, 4]]);
    merger.acceptPush(pushFrames([normal('a', 7)]), 10);
    merger.expire(20); // the first window's deadline: the second window (opened at 0 by seq 5) is due too
    expect(out.map((p) => p.seqs)).toEqual([
      [1, 2, 3, 4],
      [5, 6, 7],
    ]);
    merger.acceptPush(pushFrames([normal('a', 8)]), 25);
    merger.expire(40);
    expect(out).toHaveLength(2);
    merger.expire(45);
    expect(out[2]?.seqs).toEqual([8]);
  });

  it('publishes important messages in the same turn, one frame per room per PUSH batch, ahead of pending normal ones', () => {
    const { merger, out } = setup();
    merger.setSubscribers('a', 1, 0);
    merger.setSubscribers('b', 2, 0);
    merger.acceptPush(
      pushFrames([normal('a', 1), important('a', 1), important('b', 1), normal('a', 2), important('a', 2)]),
      0,
    );
    expect(out).toEqual([
      { roomId: 'a', meta: { lane: LaneCode.important, count: 2, firstSeq: 1, lastSeq: 2 }, seqs: [1, 2] },
      { roomId: 'b', meta: { lane: LaneCode.important, count: 1, firstSeq: 1, lastSeq: 1 }, seqs: [1] },
    ]);
    merger.acceptPush(pushFrames([important('a', 3)]), 1);
    expect(out[2]?.seqs).toEqual([3]);
    merger.expire(20);
    expect(out[3]).toMatchObject({ roomId: 'a', meta: { lane: LaneCode.normal }, seqs: [1, 2] });
  });

  it('caps normal messages per room per second, counts the excess, never caps important ones', () => {
    const { merger, out } = setup({ capPerSec: 10, capPerSubscriber: 5, maxMessages: 1000 });
    merger.setSubscribers('a', 2, 0); // cap 10 + 5 × 2 = 20
    merger.acceptPush(pushFrames(range(1, 30).map((s) => normal('a', s))), 0);
    merger.acceptPush(pushFrames(range(1, 30).map((s) => important('a', s))), 0);
    merger.expire(20);
    // The frame's range covers the dropped seqs 21..30: its count says some were dropped on purpose.
    const normalFrame = out.find((p) => p.meta.lane === LaneCode.normal)!;
    expect(normalFrame.meta).toEqual({ lane: LaneCode.normal, count: 20, firstSeq: 1, lastSeq: 30 });
    expect(normalFrame.seqs).toEqual(range(1, 20));
    expect(out.find((p) => p.meta.lane === LaneCode.important)!.meta.count).toBe(30);
    expect(merger.counters).toMatchObject({ droppedCap: 10, msgsIn: 60, msgsOut: 50 });
    // The next second has a fresh budget; the next frame starts where the last one ended.
    merger.acceptPush(pushFrames([normal('a', 31), normal('a', 32)]), 1000);
    merger.expire(1020);
    expect(out.at(-1)?.meta).toEqual({ lane: LaneCode.normal, count: 2, firstSeq: 31, lastSeq: 32 });
  });

  it('keeps every frame of a room and lane in seq order and every frame ascending', () => {
    const { merger, out } = setup({ maxMessages: 5 });
    merger.setSubscribers('a', 1, 0);
    let seq = 0;
    for (let t = 0; t < 200; t += 3) {
      const n = (t % 7) + 1;
      merger.acceptPush(pushFrames(range(seq + 1, seq + n).map((s) => normal('a', s))), t);
      seq += n;
      merger.expire(t);
    }
    merger.flushAll(200);
    expect(out.flatMap((p) => p.seqs)).toEqual(range(1, seq));
    // A seq going backwards (a re-send) is late: dropped and counted, the frame stays ascending.
    merger.acceptPush(pushFrames([normal('a', seq + 1), normal('a', seq + 2), normal('a', seq + 1)]), 500);
    merger.expire(520);
    expect(out.at(-1)?.seqs).toEqual([seq + 1, seq + 2]);
    expect(merger.counters.late).toBe(1);
  });

  it('flushes the windows of rooms another node now owns, and only those', () => {
    const { merger, out } = setup();
    const rooms = range(1, 40).map((i) => `room-${i}`);
    for (const room of rooms) merger.setSubscribers(room, 1, 0);
    merger.acceptPush(pushFrames(rooms.map((room) => normal(room, 1))), 0);
    const active = ['self', 'other'];
    const flushed = merger.flushWhere((room) => rendezvousOwner(room.roomId, active) !== 'self', 0);
    const lost = rooms.filter((room) => rendezvousOwner(room, active) === 'other');
    expect(flushed).toBe(lost.length);
    expect(out.map((p) => p.roomId).sort()).toEqual([...lost].sort());
    merger.expire(20);
    expect(out).toHaveLength(rooms.length);
  });

  it('flushes a room whose last subscriber left and then forgets it', () => {
    const { merger, out } = setup();
    merger.setSubscribers('a', 1, 0);
    merger.acceptPush(pushFrames([normal('a', 1)]), 0);
    merger.setSubscribers('a', 0, 0);
    expect(out.map((p) => p.seqs)).toEqual([[1]]);
    merger.acceptPush(pushFrames([normal('a', 2)]), 1);
    merger.expire(100);
    expect(out).toHaveLength(1);
    expect(merger.counters.noSubscriber).toBe(1);
  });

  it('counts malformed frames, batches and metas without throwing, and keeps the good messages', () => {
    const { merger, out } = setup();
    merger.setSubscribers('a', 1, 0);
    const good = pushFrames([important('a', 1)]);
    const badMeta = Buffer.from(good[1]);
    badMeta[4] = 9; // lane byte of the first meta
    const badRoomId = pushFrames([important('zz', 1)]);
    badRoomId[1][4 + 10] = 0x20; // the first room id byte: a space
    const cases: Buffer[][] = [
      [],
      [good[0]],
      [Buffer.from([1, 0x22]), good[1]],
      [good[0], Buffer.from([5, 0, 0])],
      [good[0], good[1], good[1]],
      [good[0], badMeta],
      badRoomId,
      pushFrames([{ roomId: 'a', lane: 'important', seq: 2, body: '' }]),
    ];
    for (const frames of cases) expect(() => merger.acceptPush(frames, 0)).not.toThrow();
    expect(merger.counters.malformed).toBe(cases.length);
    expect(merger.counters.noSubscriber).toBe(0);
    merger.acceptPush(good, 0);
    expect(out).toHaveLength(1);
  });
});

/** Every frame of each room lane: after the lane's previous one, ascending, envelopes inside its range. */
function expectOrderedFrames(out: Published[]): void {
  const lastByLane = new Map<string, number>();
  const violations: string[] = [];
  for (const frame of out) {
    const key = `${frame.roomId}/${frame.meta.lane}`;
    const { firstSeq, lastSeq, count } = frame.meta;
    const previous = lastByLane.get(key) ?? 0;
    if (firstSeq <= previous)
      violations.push(`${key}: ${firstSeq}..${lastSeq} overlaps the frame ending at ${previous}`);
    if (lastSeq < firstSeq || frame.seqs.length !== count)
      violations.push(`${key}: bad meta ${JSON.stringify(frame.meta)}`);
    frame.seqs.forEach((seq, i) => {
      if (seq < firstSeq || seq > lastSeq) violations.push(`${key}: ${seq} outside ${firstSeq}..${lastSeq}`);
      if (i > 0 && seq <= frame.seqs[i - 1]) violations.push(`${key}: ${seq} after ${frame.seqs[i - 1]}`);
    });
    lastByLane.set(key, lastSeq);
  }
  expect(violations).toEqual([]);
}

const frameOf = (lane: LaneCode, firstSeq: number, lastSeq: number, seqs = range(firstSeq, lastSeq)) => ({
  meta: { lane, count: seqs.length, firstSeq, lastSeq },
  seqs,
});

describe('RoomMerger seq order per room lane', () => {
  const HOLD = 40;

  /** A room whose lanes started at seq 1 (normal and important), nothing published yet. */
  function started(limits: Partial<MergeLimits> = {}) {
    const { merger, out } = setup({ reorderHoldMs: HOLD, ...limits });
    merger.setSubscribers('a', 1, 0);
    merger.acceptPush(pushFrames([normal('a', 1), important('a', 1)]), 0);
    merger.expire(HOLD);
    merger.expire(HOLD + (limits.windowMs ?? DEFAULT_MERGE_LIMITS.windowMs));
    expect(out.map((p) => p.seqs)).toEqual([[1], [1]]);
    out.length = 0;
    return { merger, out };
  }

  it('holds a lane’s first message for the hold, then starts at the lowest seq seen', () => {
    const { merger, out } = setup({ reorderHoldMs: HOLD });
    merger.setSubscribers('a', 1, 0);
    merger.acceptPush(pushFrames([important('a', 25)]), 0);
    // A second worker's lower seq is a moment behind.
    merger.acceptPush(pushFrames([important('a', 24)]), 10);
    merger.expire(HOLD - 1);
    expect(out).toEqual([]);
    merger.expire(HOLD);
    expect(out).toEqual([{ roomId: 'a', ...frameOf(LaneCode.important, 24, 25) }]);
    // Below the baseline now: late.
    merger.acceptPush(pushFrames([important('a', 23)]), 50);
    expect(out).toHaveLength(1);
    expect(merger.counters).toMatchObject({ late: 1, outOfOrder: 0, reorderGaps: 0 });
  });

  it('starts a lane whose first message is seq 1 at once (nothing lower exists) and pulls in what waited', () => {
    const { merger, out } = setup({ reorderHoldMs: HOLD });
    merger.setSubscribers('a', 1, 0);
    // Worker B's seq 2 came first and waits as a baseline; worker A's seq 1 ends the wait.
    merger.acceptPush(pushFrames([important('a', 2)]), 0);
    expect(out).toEqual([]);
    merger.acceptPush(pushFrames([important('a', 1), important('a', 3)]), 5);
    expect(out).toEqual([{ roomId: 'a', ...frameOf(LaneCode.important, 1, 3) }]);
    // A new room's first gift leaves in the turn it arrived.
    merger.setSubscribers('b', 1, 5);
    merger.acceptPush(pushFrames([important('b', 1)]), 6);
    expect(out[1]).toEqual({ roomId: 'b', ...frameOf(LaneCode.important, 1, 1) });
    // The stale hold of seq 2 releases nothing more.
    merger.expire(HOLD + 10);
    expect(out).toHaveLength(2);
    expect(merger.counters).toMatchObject({ late: 0, outOfOrder: 0, reorderGaps: 0 });
  });

  it('passes messages in order straight through: important in the same turn, normal in the merge window', () => {
    const { merger, out } = started();
    merger.acceptPush(pushFrames([important('a', 2), normal('a', 2), important('a', 3)]), 100);
    expect(out).toEqual([{ roomId: 'a', ...frameOf(LaneCode.important, 2, 3) }]);
    merger.acceptPush(pushFrames([normal('a', 3)]), 110);
    merger.expire(119);
    expect(out).toHaveLength(1);
    merger.expire(120);
    expect(out[1]).toEqual({ roomId: 'a', ...frameOf(LaneCode.normal, 2, 3) });
    expect(merger.counters).toMatchObject({ outOfOrder: 0, reorderGaps: 0, late: 0 });
  });

  it('reassembles a lane that two workers published slightly out of order', () => {
    const { merger, out } = started({ maxMessages: 1000 });
    // Worker B's 3 and 5 overtake worker A's 2 and 4.
    merger.acceptPush(pushFrames([normal('a', 3), important('a', 3)]), 100);
    merger.acceptPush(pushFrames([normal('a', 2), normal('a', 5)]), 102);
    merger.acceptPush(pushFrames([important('a', 2)]), 103);
    expect(out).toEqual([{ roomId: 'a', ...frameOf(LaneCode.important, 2, 3) }]);
    merger.acceptPush(pushFrames([normal('a', 4), normal('a', 6)]), 104);
    merger.expire(121);
    merger.expire(122);
    expect(out[1]).toEqual({ roomId: 'a', ...frameOf(LaneCode.normal, 2, 6) });
    expect(merger.counters).toMatchObject({ outOfOrder: 3, reorderGaps: 0, late: 0 });
    // Nothing waits any more: a stale hold deadline releases nothing.
    merger.expire(1000);
    expect(out).toHaveLength(2);
  });

  it('gives a gap up after the hold, publishes past it, and drops the missing seq when it comes late', () => {
    const { merger, out } = started();
    merger.acceptPush(pushFrames([important('a', 2), important('a', 4), important('a', 5)]), 100);
    expect(out).toEqual([{ roomId: 'a', ...frameOf(LaneCode.important, 2, 2) }]);
    merger.expire(100 + HOLD - 1);
    expect(out).toHaveLength(1);
    merger.expire(100 + HOLD);
    // Contiguous 4..5: the subscriber sees 3 missing between frames and pulls it from history.
    expect(out[1]).toEqual({ roomId: 'a', ...frameOf(LaneCode.important, 4, 5) });
    expect(merger.counters).toMatchObject({ outOfOrder: 2, reorderGaps: 1, reorderSkippedSeqs: 1 });
    merger.acceptPush(pushFrames([important('a', 3), important('a', 6)]), 150);
    expect(out[2]).toEqual({ roomId: 'a', ...frameOf(LaneCode.important, 6, 6) });
    expect(merger.counters.late).toBe(1);
    expectOrderedFrames(out);
  });

  it('publishes a user channel’s late seq on its own, out of order, and counts it instead of dropping it', () => {
    const { merger, out } = setup({ reorderHoldMs: HOLD });
    merger.setSubscribers('_sender', 1, 0);
    // Two workers number the sender's receipts from one counter: worker A's 2..3 reach the node
    // first and start the channel after the hold; worker B's 1 is still on its way.
    merger.acceptPush(pushFrames([important('_sender', 2), important('_sender', 3)]), 0);
    merger.expire(HOLD);
    expect(out).toEqual([{ roomId: '_sender', ...frameOf(LaneCode.important, 2, 3) }]);
    // A's 5 waits for B's 4, which is later than the hold: the gap is given up.
    merger.acceptPush(pushFrames([important('_sender', 5)]), 50);
    merger.expire(50 + HOLD);
    expect(out[1]).toEqual({ roomId: '_sender', ...frameOf(LaneCode.important, 5, 5) });
    expect(merger.counters).toMatchObject({ reorderGaps: 1, reorderSkippedSeqs: 1 });

    // B's 1 and 4 arrive (PUBLISH and PUBLISH_RUNS alike): each leaves at once as a frame of its
    // own covering just its seq; the in-order 6 goes on as usual.
    merger.acceptPush(pushFrames([important('_sender', 1)]), 300);
    merger.acceptPush(runFrames([important('_sender', 4), important('_sender', 6)]), 301);
    expect(out.slice(2)).toEqual([
      { roomId: '_sender', ...frameOf(LaneCode.important, 1, 1) },
      { roomId: '_sender', ...frameOf(LaneCode.important, 4, 4) },
      { roomId: '_sender', ...frameOf(LaneCode.important, 6, 6) },
    ]);
    expect(merger.counters).toMatchObject({
      channelLate: 2,
      late: 0,
      msgsIn: 6,
      msgsOut: 6,
      importantOut: 6,
    });

    // A repeat of a seq still waiting is dropped as late, for a channel too.
    merger.acceptPush(pushFrames([important('_sender', 8), important('_sender', 8)]), 400);
    expect(merger.counters).toMatchObject({ channelLate: 2, late: 1 });
  });

  it('drops a room’s late seq where a user channel’s would be published', () => {
    const { merger, out } = setup({ reorderHoldMs: HOLD });
    merger.setSubscribers('a', 1, 0);
    merger.acceptPush(pushFrames([important('a', 2), important('a', 3)]), 0);
    merger.expire(HOLD);
    merger.acceptPush(pushFrames([important('a', 1)]), 300);
    expect(out).toEqual([{ roomId: 'a', ...frameOf(LaneCode.important, 2, 3) }]);
    expect(merger.counters).toMatchObject({ channelLate: 0, late: 1 });
  });

  it('closes the open window at a given-up gap, so no frame spans a gap it did not drop on purpose', () => {
    const { merger, out } = started({ windowMs: 100 });
    merger.acceptPush(pushFrames([normal('a', 2), normal('a', 3), normal('a', 6), normal('a', 8)]), 100);
    merger.acceptPush(pushFrames([normal('a', 7)]), 110);
    merger.expire(100 + HOLD);
    expect(out).toEqual([{ roomId: 'a', ...frameOf(LaneCode.normal, 2, 3) }]);
    merger.expire(240);
    expect(out[1]).toEqual({ roomId: 'a', ...frameOf(LaneCode.normal, 6, 8) });
    expect(merger.counters).toMatchObject({ reorderGaps: 1, reorderSkippedSeqs: 2 });
  });

  it('waits for each parked message its own hold when gaps fill one after another', () => {
    const { merger, out } = started();
    merger.acceptPush(pushFrames([important('a', 3)]), 100);
    merger.acceptPush(pushFrames([important('a', 5)]), 130);
    merger.acceptPush(pushFrames([important('a', 2)]), 135);
    expect(out.map((p) => p.seqs)).toEqual([[2, 3]]);
    // 5 arrived at 130: it waits for 4 until 170, not until 140.
    merger.expire(169);
    expect(out).toHaveLength(1);
    merger.expire(170);
    expect(out[1]).toEqual({ roomId: 'a', ...frameOf(LaneCode.important, 5, 5) });
  });

  it('sends an important message that is in order at once, whatever waits elsewhere', () => {
    const { merger, out } = started();
    merger.setSubscribers('b', 1, 0);
    merger.acceptPush(pushFrames([important('b', 7)]), 90); // b's baseline, held
    merger.acceptPush(pushFrames([normal('a', 3), normal('a', 2)]), 100); // a's normal window is open
    merger.acceptPush(pushFrames([important('a', 3)]), 101); // a's important lane waits for 2
    merger.acceptPush(pushFrames([important('a', 2)]), 102);
    expect(out).toEqual([{ roomId: 'a', ...frameOf(LaneCode.important, 2, 3) }]);
  });

  it('drops a repeated parked seq and counts it late', () => {
    const { merger, out } = started();
    merger.acceptPush(pushFrames([important('a', 3), important('a', 3)]), 100);
    merger.acceptPush(pushFrames([important('a', 2)]), 101);
    expect(out).toEqual([{ roomId: 'a', ...frameOf(LaneCode.important, 2, 3) }]);
    expect(merger.counters.late).toBe(1);
  });

  it('gives a gap up at once when too many messages wait behind it', () => {
    const { merger, out } = started({ maxMessages: 65_535, capPerSec: 1_000_000 });
    merger.acceptPush(pushFrames(range(3, 3 + MAX_PARKED_PER_LANE).map((s) => normal('a', s))), 100);
    expect(merger.counters).toMatchObject({ reorderGaps: 1, reorderSkippedSeqs: 1 });
    merger.expire(120);
    expect(out).toEqual([{ roomId: 'a', ...frameOf(LaneCode.normal, 3, 3 + MAX_PARKED_PER_LANE) }]);
  });

  it('still caps the in-order stream and counts the excess, each frame’s range following the last', () => {
    const { merger, out } = started({ capPerSec: 4, maxMessages: 3 });
    // The second starting at 1100 takes 4 of 2..9.
    merger.acceptPush(pushFrames([9, 3, 2, 5, 4, 8, 7, 6].map((s) => normal('a', s))), 1100);
    merger.expire(1120);
    expect(out).toEqual([
      { roomId: 'a', ...frameOf(LaneCode.normal, 2, 4, [2, 3, 4]) },
      { roomId: 'a', ...frameOf(LaneCode.normal, 5, 9, [5]) },
    ]);
    expect(merger.counters).toMatchObject({ droppedCap: 4, outOfOrder: 5, reorderGaps: 0 });
    merger.acceptPush(pushFrames([normal('a', 10)]), 2100);
    merger.expire(2120);
    expect(out[2]).toEqual({ roomId: 'a', ...frameOf(LaneCode.normal, 10, 10) });
    expectOrderedFrames(out);
  });

  it('never publishes overlapping or out-of-order frames from two interleaved workers with losses', () => {
    const { merger, out } = setup({ reorderHoldMs: HOLD, maxMessages: 8, capPerSec: 1_000_000 });
    const rooms = ['a', 'b', 'c'];
    for (const room of rooms) merger.setSubscribers(room, 1, 0);
    // Deterministic pseudo-random: each seq goes to one of two workers; a worker's send lags 0..30 ms;
    // one seq in 50 is lost on its way.
    let state = 42;
    const random = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const arrivals: Array<{ at: number; room: string; lane: 'normal' | 'important'; seq: number }> = [];
    const lost = new Set<string>();
    for (const room of rooms) {
      for (const lane of ['normal', 'important'] as const) {
        for (let seq = 1; seq <= 400; seq += 1) {
          const sentAt = seq * 2 + (lane === 'important' ? 1 : 0);
          if (seq > 1 && seq < 400 && random() < 0.02) {
            lost.add(`${room}/${lane}/${seq}`);
            continue;
          }
          arrivals.push({ at: sentAt + Math.floor(random() * 30), room, lane, seq });
        }
      }
    }
    arrivals.sort((x, y) => x.at - y.at);
    for (const m of arrivals)
      merger.acceptPush(pushFrames([{ roomId: m.room, lane: m.lane, seq: m.seq }]), m.at);
    merger.expire(5000);
    merger.flushAll(5000);

    expectOrderedFrames(out);
    for (const room of rooms) {
      for (const [lane, code] of [
        ['normal', LaneCode.normal],
        ['important', LaneCode.important],
      ] as const) {
        const frames = out.filter((p) => p.roomId === room && p.meta.lane === code);
        const expected = range(1, 400).filter((seq) => !lost.has(`${room}/${lane}/${seq}`));
        // Lags (≤ 30 ms) stay under the hold: every message that was not lost arrives in order.
        expect(frames.flatMap((p) => p.seqs)).toEqual(expected);
        // Frames are contiguous ranges: a lost seq lies between two frames, never inside one.
        for (const p of frames) expect(p.meta.lastSeq - p.meta.firstSeq + 1).toBe(p.meta.count);
      }
    }
    expect(merger.counters.reorderSkippedSeqs).toBe(lost.size);
    expect(merger.counters.late).toBe(0);
    expect(merger.counters.outOfOrder).toBeGreaterThan(0);
  });

  it('on ownership loss publishes what waits, then starts the room over from a new baseline', () => {
    const { merger, out } = started();
    merger.acceptPush(pushFrames([normal('a', 2), normal('a', 4), important('a', 3)]), 100);
    expect(merger.flushWhere(() => true, 101)).toBe(1);
    expect(out).toEqual([
      { roomId: 'a', ...frameOf(LaneCode.important, 3, 3) },
      { roomId: 'a', ...frameOf(LaneCode.normal, 2, 2) },
      { roomId: 'a', ...frameOf(LaneCode.normal, 4, 4) },
    ]);
    expect(merger.counters).toMatchObject({ reorderGaps: 2, reorderSkippedSeqs: 2 });
    // Nothing is left to release; the stale hold deadline releases nothing.
    expect(merger.flushWhere(() => true, 102)).toBe(0);
    merger.expire(200);
    expect(out).toHaveLength(3);
    // The room came back: its first message is a baseline again, not late.
    merger.acceptPush(pushFrames([important('a', 2)]), 300);
    expect(out).toHaveLength(3);
    merger.expire(300 + HOLD);
    expect(out[3]).toEqual({ roomId: 'a', ...frameOf(LaneCode.important, 2, 2) });
  });

  it('publishes what waits when the last subscriber leaves', () => {
    const { merger, out } = setup({ reorderHoldMs: HOLD });
    merger.setSubscribers('a', 1, 0);
    merger.acceptPush(pushFrames([normal('a', 5), normal('a', 6)]), 0);
    merger.setSubscribers('a', 0, 10);
    expect(out).toEqual([{ roomId: 'a', ...frameOf(LaneCode.normal, 5, 6) }]);
    merger.expire(1000);
    expect(out).toHaveLength(1);
  });

  it('starts a lane over after a minute of silence instead of calling a restarted seq late', () => {
    const { merger, out } = started();
    merger.acceptPush(pushFrames([important('a', 2)]), 100);
    // In order after the silence: straight through.
    merger.acceptPush(pushFrames([important('a', 3)]), 100 + LANE_IDLE_RESET_MS);
    expect(out.map((p) => p.seqs)).toEqual([[2], [3]]);
    // The room's log was reset: seq 1 again, after another silent minute.
    const later = 100 + 2 * LANE_IDLE_RESET_MS;
    merger.acceptPush(pushFrames([important('a', 1)]), later);
    expect(out[2]).toEqual({ roomId: 'a', ...frameOf(LaneCode.important, 1, 1) });
    expect(merger.counters.late).toBe(0);
  });

  it('with a hold of 0 never waits: a gap is given up at once', () => {
    const { merger, out } = setup({ reorderHoldMs: 0 });
    merger.setSubscribers('a', 1, 0);
    merger.acceptPush(pushFrames([important('a', 5), important('a', 7), important('a', 6)]), 0);
    expect(out).toEqual([
      { roomId: 'a', ...frameOf(LaneCode.important, 5, 5) },
      { roomId: 'a', ...frameOf(LaneCode.important, 7, 7) },
    ]);
    expect(merger.counters).toMatchObject({ reorderGaps: 1, reorderSkippedSeqs: 1, late: 1 });
  });
});
