import {
  bcastHeader,
  BroadcastCommand,
  decodeBatchMeta,
  decodeRunMeta,
  encodeRun,
  LaneCode,
  packPairs,
  roomOfTopic,
} from '@live-im/broadcast';
import { important, normal, pushFrames, runFrames, type TestMessage } from './__tests__/push-frames';
import { DEFAULT_MERGE_LIMITS, type MergeLimits } from './merge-limits';
import { RoomMerger } from './room-merger';

/** Every frame a merger published, as comparable text. */
function recorder(limits: Partial<MergeLimits>) {
  const frames: string[] = [];
  const merger = new RoomMerger({ ...DEFAULT_MERGE_LIMITS, ...limits }, (out) => {
    const [topic, meta, body] = out as [Buffer, Buffer, Buffer];
    frames.push(`${roomOfTopic(topic)} ${JSON.stringify(decodeBatchMeta(meta))} ${body.toString()}`);
  });
  return { merger, frames };
}

/** A small deterministic PRNG (mulberry32), so a failing scenario can be replayed by its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Pushes of messages for three rooms and both lanes: mostly in order, in runs, with swaps (two
 * workers), skipped seqs, repeats and late arrivals; time moves a few ms per push.
 */
function scenario(seed: number): Array<{ at: number; messages: TestMessage[] }> {
  const random = prng(seed);
  const next = new Map<string, number>();
  const pushes: Array<{ at: number; messages: TestMessage[] }> = [];
  let at = 0;
  for (let p = 0; p < 40; p += 1) {
    at += Math.floor(random() * 15);
    const messages: TestMessage[] = [];
    const size = 1 + Math.floor(random() * 30);
    while (messages.length < size) {
      const roomId = `room-${Math.floor(random() * 3)}`;
      const lane = random() < 0.3 ? 'important' : 'normal';
      const key = `${roomId}/${lane}`;
      let seq = next.get(key) ?? 1;
      const stretch = 1 + Math.floor(random() * 8);
      for (let k = 0; k < stretch; k += 1) {
        const roll = random();
        if (roll < 0.05) seq += 1 + Math.floor(random() * 3); // a gap
        const m: TestMessage = { roomId, lane, seq, traceId: random() < 0.2 ? `req-${p}-${k}` : undefined };
        if (roll > 0.95) messages.push({ ...m, seq: Math.max(1, seq - 2) }); // a repeat or late one
        messages.push(m);
        seq += 1;
      }
      next.set(key, seq);
      // Another worker's message overtakes: swap the last two.
      if (random() < 0.1 && messages.length >= 2) {
        const last = messages.pop() as TestMessage;
        messages.splice(messages.length - 1, 0, last);
      }
    }
    pushes.push({ at, messages });
  }
  return pushes;
}

describe('RoomMerger and PUBLISH_RUNS', () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20])(
    'publishes exactly the frames and counts the messages sent one by one would make (scenario %i)',
    (seed) => {
      const limits: Partial<MergeLimits> = { maxMessages: 5, capPerSec: 40, windowMs: 20, reorderHoldMs: 10 };
      const one = recorder(limits);
      const runs = recorder(limits);
      for (const { merger } of [one, runs]) {
        merger.setSubscribers('room-0', 1, 0);
        merger.setSubscribers('room-1', 3, 0);
        merger.setSubscribers('room-2', 1, 0);
      }
      for (const { at, messages } of scenario(seed)) {
        one.merger.acceptPush(pushFrames(messages), at);
        runs.merger.acceptPush(runFrames(messages), at);
        one.merger.expire(at + 1);
        runs.merger.expire(at + 1);
      }
      one.merger.flushAll(10_000);
      runs.merger.flushAll(10_000);
      expect(runs.frames.length).toBeGreaterThan(10);
      expect(runs.frames).toEqual(one.frames);
      expect(runs.merger.counters).toEqual(one.merger.counters);
    },
  );

  it('copies an in-order run into frames of at most MERGE_MAX_MESSAGES, each ending at the seq that filled it', () => {
    const { merger, frames } = recorder({ maxMessages: 4, reorderHoldMs: 0 });
    merger.setSubscribers('a', 1, 0);
    merger.acceptPush(runFrames(Array.from({ length: 10 }, (_, i) => normal('a', i + 1))), 0);
    merger.expire(100);
    expect(frames.map((f) => f.split(' ')[1])).toEqual([
      JSON.stringify({ lane: 0, count: 4, firstSeq: 1, lastSeq: 4 }),
      JSON.stringify({ lane: 0, count: 4, firstSeq: 5, lastSeq: 8 }),
      JSON.stringify({ lane: 0, count: 2, firstSeq: 9, lastSeq: 10 }),
    ]);
    expect(JSON.parse(frames[2]?.split(' ')[2] ?? '')).toEqual([
      { seq: 9, lane: 'normal' },
      { seq: 10, lane: 'normal' },
    ]);
  });

  it('lets the cap admit the head of a run and counts the rest, which the open frame range covers', () => {
    const { merger, frames } = recorder({ capPerSec: 3, reorderHoldMs: 0 });
    merger.setSubscribers('a', 1, 0);
    merger.acceptPush(runFrames(Array.from({ length: 5 }, (_, i) => normal('a', i + 1))), 0);
    merger.expire(50);
    merger.acceptPush(runFrames([normal('a', 6)]), 1000);
    merger.expire(1100);
    expect(frames.map((f) => f.split(' ')[1])).toEqual([
      JSON.stringify({ lane: 0, count: 3, firstSeq: 1, lastSeq: 5 }),
      JSON.stringify({ lane: 0, count: 1, firstSeq: 6, lastSeq: 6 }),
    ]);
    expect(merger.counters).toMatchObject({ msgsIn: 6, droppedCap: 2, msgsOut: 4 });
  });

  it('sends an important run in the turn it arrived, and shows traced runs to the observer', () => {
    const frames: string[] = [];
    const traced: string[] = [];
    const merger = new RoomMerger(
      { ...DEFAULT_MERGE_LIMITS, reorderHoldMs: 0 },
      (out) => frames.push(out[2].toString()),
      undefined,
      (meta, runBodyLength) => traced.push(...(decodeRunMeta(meta, runBodyLength ?? -1).traceIds ?? [])),
    );
    merger.setSubscribers('a', 1, 0);
    merger.acceptPush(runFrames([important('a', 1), { ...important('a', 2), traceId: 'req-2' }]), 0);
    expect(frames).toEqual(['[{"seq":1,"lane":"important"},{"seq":2,"lane":"important"}]']);
    expect(traced).toEqual(['', 'req-2']);
  });

  it('counts a malformed run and takes the well-formed ones around it', () => {
    const { merger, frames } = recorder({ reorderHoldMs: 0 });
    merger.setSubscribers('a', 1, 0);
    const [meta1, body1] = encodeRun({ roomId: 'a', lane: LaneCode.important, firstSeq: 1 }, [
      Buffer.from('{"n":1}'),
    ]);
    const [meta2, body2] = encodeRun({ roomId: 'a', lane: LaneCode.important, firstSeq: 2 }, [
      Buffer.from('{"n":2}'),
    ]);
    const liar = Buffer.from(meta2);
    liar.writeUInt32LE(99, liar.length - 4); // its envelope length no longer matches the body
    const badRoom = Buffer.from(meta2);
    badRoom[12] = 0x20; // a space in the room id of a room nobody subscribed
    merger.acceptPush(
      [
        bcastHeader(BroadcastCommand.PUBLISH_RUNS),
        packPairs([meta1, body1, liar, body2, badRoom, body2, meta2, body2]),
      ],
      0,
    );
    expect(frames.map((f) => f.split(' ')[2])).toEqual(['[{"n":1},{"n":2}]']);
    expect(merger.counters).toMatchObject({ malformed: 2, msgsIn: 2 });
  });
});
