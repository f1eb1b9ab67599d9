import { decodeBatchMeta, LaneCode, roomOfTopic, rendezvousOwner, type BatchMeta } from '@live-im/broadcast';
import { important, normal, pushFrames } from './__tests__/push-frames';
import { DEFAULT_MERGE_LIMITS, type MergeLimits } from './merge-limits';
import { RoomMerger } from './room-merger';

interface Published {
  roomId: string;
  meta: BatchMeta;
  seqs: number[];
}

function setup(limits: Partial<MergeLimits> = {}) {
  const out: Published[] = [];
  const merger = new RoomMerger({ ...DEFAULT_MERGE_LIMITS, ...limits }, (frames) => {
    const [topic, meta, body] = frames as [Buffer, Buffer, Buffer];
    const envelopes = JSON.parse(body.toString()) as Array<{ seq: number }>;
    out.push({ roomId: roomOfTopic(topic)!, meta: decodeBatchMeta(meta), seqs: envelopes.map((e) => e.seq) });
  });
  return { merger, out };
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('RoomMerger', () => {
  it('does no merge work for rooms without subscribers and counts their messages', () => {
    const { merger, out } = setup();
    merger.acceptPush(pushFrames([normal('a', 1), important('a', 1)]), 0);
    merger.expire(1000);
    expect(out).toEqual([]);
    expect(merger.counters).toMatchObject({ msgsIn: 2, noSubscriber: 2, msgsOut: 0 });
  });

  it('closes a normal window after MERGE_WINDOW_MS, as one frame in seq order', () => {
    const { merger, out } = setup({ windowMs: 20 });
    merger.setSubscribers('a', 1);
    merger.acceptPush(pushFrames([normal('a', 1), normal('a', 2)]), 100);
    merger.acceptPush(pushFrames([normal('a', 3)]), 110);
    merger.expire(119);
    expect(out).toEqual([]);
    merger.expire(120);
    expect(out).toEqual([{ roomId: 'a', meta: { lane: LaneCode.normal, count: 3, firstSeq: 1, lastSeq: 3 }, seqs: [1, 2, 3] }]);
    // The next message opens a new window with its own deadline.
    merger.acceptPush(pushFrames([normal('a', 4)]), 130);
    merger.expire(149);
    expect(out).toHaveLength(1);
    merger.expire(150);
    expect(out[1]?.seqs).toEqual([4]);
  });

  it('closes a normal window at MERGE_MAX_MESSAGES, and a stale deadline does not cut the next window', () => {
    const { merger, out } = setup({ windowMs: 20, maxMessages: 4 });
    merger.setSubscribers('a', 1);
    merger.acceptPush(pushFrames(range(1, 6).map((s) => normal('a', s))), 0);
    expect(out.map((p) => p.seqs)).toEqual([[1, 2, 3, 4]]);
    merger.acceptPush(pushFrames([normal('a', 7)]), 10);
    merger.expire(20); // the first window's deadline: the second window (opened at 0 by seq 5) is due too
    expect(out.map((p) => p.seqs)).toEqual([[1, 2, 3, 4], [5, 6, 7]]);
    merger.acceptPush(pushFrames([normal('a', 8)]), 25);
    merger.expire(40);
    expect(out).toHaveLength(2);
    merger.expire(45);
    expect(out[2]?.seqs).toEqual([8]);
  });

  it('publishes important messages in the same turn, one frame per room per PUSH batch, ahead of pending normal ones', () => {
    const { merger, out } = setup();
    merger.setSubscribers('a', 1);
    merger.setSubscribers('b', 2);
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
    merger.setSubscribers('a', 2); // cap 10 + 5 × 2 = 20
    merger.acceptPush(pushFrames(range(1, 30).map((s) => normal('a', s))), 0);
    merger.acceptPush(pushFrames(range(1, 30).map((s) => important('a', s))), 0);
    merger.expire(20);
    const normalFrame = out.find((p) => p.meta.lane === LaneCode.normal)!;
    expect(normalFrame.meta).toEqual({ lane: LaneCode.normal, count: 20, firstSeq: 1, lastSeq: 20 });
    expect(out.find((p) => p.meta.lane === LaneCode.important)!.meta.count).toBe(30);
    expect(merger.counters).toMatchObject({ droppedCap: 10, msgsIn: 60, msgsOut: 50 });
    // The next second has a fresh budget; the gap shows in the batch's seq range.
    merger.acceptPush(pushFrames([normal('a', 31), normal('a', 40)]), 1000);
    merger.expire(1020);
    expect(out.at(-1)?.meta).toEqual({ lane: LaneCode.normal, count: 2, firstSeq: 31, lastSeq: 40 });
  });

  it('keeps every frame of a room and lane in seq order and every frame ascending', () => {
    const { merger, out } = setup({ maxMessages: 5 });
    merger.setSubscribers('a', 1);
    let seq = 0;
    for (let t = 0; t < 200; t += 3) {
      const n = (t % 7) + 1;
      merger.acceptPush(pushFrames(range(seq + 1, seq + n).map((s) => normal('a', s))), t);
      seq += n;
      merger.expire(t);
    }
    merger.flushAll();
    expect(out.flatMap((p) => p.seqs)).toEqual(range(1, seq));
    // A seq going backwards (a re-send) closes the window so the next frame starts over.
    merger.acceptPush(pushFrames([normal('a', seq + 1), normal('a', seq + 2), normal('a', seq + 1)]), 500);
    merger.flushAll();
    expect(out.slice(-2).map((p) => p.seqs)).toEqual([[seq + 1, seq + 2], [seq + 1]]);
  });

  it('flushes the windows of rooms another node now owns, and only those', () => {
    const { merger, out } = setup();
    const rooms = range(1, 40).map((i) => `room-${i}`);
    for (const room of rooms) merger.setSubscribers(room, 1);
    merger.acceptPush(pushFrames(rooms.map((room) => normal(room, 1))), 0);
    const active = ['self', 'other'];
    const flushed = merger.flushWhere((room) => rendezvousOwner(room.roomId, active) !== 'self');
    const lost = rooms.filter((room) => rendezvousOwner(room, active) === 'other');
    expect(flushed).toBe(lost.length);
    expect(out.map((p) => p.roomId).sort()).toEqual([...lost].sort());
    merger.expire(20);
    expect(out).toHaveLength(rooms.length);
  });

  it('flushes a room whose last subscriber left and then forgets it', () => {
    const { merger, out } = setup();
    merger.setSubscribers('a', 1);
    merger.acceptPush(pushFrames([normal('a', 1)]), 0);
    merger.setSubscribers('a', 0);
    expect(out.map((p) => p.seqs)).toEqual([[1]]);
    merger.acceptPush(pushFrames([normal('a', 2)]), 1);
    merger.expire(100);
    expect(out).toHaveLength(1);
    expect(merger.counters.noSubscriber).toBe(1);
  });

  it('counts malformed frames, batches and metas without throwing, and keeps the good messages', () => {
    const { merger, out } = setup();
    merger.setSubscribers('a', 1);
    const good = pushFrames([important('a', 1)]);
    const badMeta = Buffer.from(good[1]!);
    badMeta[4] = 9; // lane byte of the first meta
    const cases: Buffer[][] = [
      [],
      [good[0]!],
      [Buffer.from([1, 0x22]), good[1]!],
      [good[0]!, Buffer.from([5, 0, 0])],
      [good[0]!, good[1]!, good[1]!],
      [good[0]!, badMeta],
      pushFrames([{ roomId: 'a', lane: 'important', seq: 2, body: '' }]),
    ];
    for (const frames of cases) expect(() => merger.acceptPush(frames, 0)).not.toThrow();
    expect(merger.counters.malformed).toBe(cases.length);
    merger.acceptPush(good, 0);
    expect(out).toHaveLength(1);
  });
});
