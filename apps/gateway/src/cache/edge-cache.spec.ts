import type { Lane, RoomMessage } from '@live-im/contracts';
import { EdgeCache, type EdgeCacheLimits } from './edge-cache';

const ROOM = 'room-1';

function message(seq: number, lane: Lane = 'normal', text = `m${seq}`): RoomMessage {
  return {
    id: `id-${lane}-${seq}`,
    roomId: ROOM,
    seq,
    lane,
    type: lane === 'important' ? 'gift' : 'chat',
    from: { userId: 'u_sender01', nickname: 'sender', level: 1 },
    body: { text },
    ts: 1000 + seq,
  };
}

function batch(firstSeq: number, lastSeq: number, lane: Lane = 'normal', roomId = ROOM, skip: number[] = []) {
  const messages: RoomMessage[] = [];
  for (let seq = firstSeq; seq <= lastSeq; seq += 1)
    if (!skip.includes(seq)) messages.push(message(seq, lane));
  return {
    roomId,
    lane,
    firstSeq,
    lastSeq,
    count: messages.length,
    body: Buffer.from(JSON.stringify(messages)),
  };
}

const seqsOf = (messages: readonly RoomMessage[] | undefined) => messages?.map((m) => m.seq);

const roomy: EdgeCacheLimits = {
  messages: { normal: 100, important: 100 },
  bytes: { normal: 1_000_000, important: 1_000_000 },
  totalBytes: 10_000_000,
};

describe('EdgeCache', () => {
  it('holds delivered batches in seq order and answers ranges it holds, each seq once', () => {
    const cache = new EdgeCache(roomy);
    cache.append(batch(5, 7));
    cache.append(batch(8, 8));
    // Overlapping the one before: the repeated seq comes once.
    cache.append({ ...batch(8, 10) });
    expect(cache.latest(ROOM)).toBeUndefined();
    cache.append(batch(1, 2, 'important'));
    expect(cache.latest(ROOM)).toEqual({ normal: 10, important: 2 });
    expect(seqsOf(cache.read(ROOM, 'normal', 4, 50)?.messages)).toEqual([5, 6, 7, 8, 9, 10]);
    expect(seqsOf(cache.read(ROOM, 'normal', 6, 2)?.messages)).toEqual([7, 8]);
    expect(cache.read(ROOM, 'normal', 10, 50)).toEqual({ messages: [], latestSeq: 10, oldestSeq: 5 });
    // Seq 4 was never held: the cache does not answer for it.
    expect(cache.read(ROOM, 'normal', 3, 50)).toBeUndefined();
    expect(cache.heldFrom(ROOM, 'normal')).toBe(5);
  });

  it('answers the recent messages only when it holds the lane that far back', () => {
    const cache = new EdgeCache(roomy);
    cache.append(batch(11, 20));
    expect(seqsOf(cache.recent(ROOM, 'normal', 5))).toEqual([16, 17, 18, 19, 20]);
    expect(seqsOf(cache.recent(ROOM, 'normal', 10))).toEqual([11, 12, 13, 14, 15, 16, 17, 18, 19, 20]);
    expect(cache.recent(ROOM, 'normal', 11)).toBeUndefined();
  });

  it('a flow-control batch vouches for its whole range with the messages it has', () => {
    const cache = new EdgeCache(roomy);
    cache.append(batch(1, 6, 'normal', ROOM, [3, 4]));
    cache.append(batch(7, 7));
    expect(seqsOf(cache.read(ROOM, 'normal', 0, 50)?.messages)).toEqual([1, 2, 5, 6, 7]);
  });

  it('starts a lane over when a batch does not continue it, and counts the reset', () => {
    const cache = new EdgeCache(roomy);
    cache.append(batch(1, 3));
    cache.append(batch(6, 7));
    expect(cache.heldFrom(ROOM, 'normal')).toBe(6);
    expect(cache.read(ROOM, 'normal', 2, 50)).toBeUndefined();
    expect(seqsOf(cache.read(ROOM, 'normal', 5, 50)?.messages)).toEqual([6, 7]);
    expect(cache.counters.laneResets).toBe(1);
    // Older than what it holds: ignored.
    cache.append(batch(4, 5));
    expect(cache.heldFrom(ROOM, 'normal')).toBe(6);
  });

  it('fills from room-service in front of what it holds, or after it, never leaving a hole', () => {
    const cache = new EdgeCache(roomy);
    cache.append(batch(10, 12));
    cache.fill(
      ROOM,
      'normal',
      6,
      [7, 8, 9].map((seq) => message(seq)),
      9,
    );
    expect(cache.heldFrom(ROOM, 'normal')).toBe(7);
    expect(seqsOf(cache.read(ROOM, 'normal', 6, 50)?.messages)).toEqual([7, 8, 9, 10, 11, 12]);
    // A gap filled after the lane: it continues it.
    cache.fill(
      ROOM,
      'normal',
      12,
      [13, 14].map((seq) => message(seq)),
      14,
    );
    expect(cache.latest(ROOM)).toBeUndefined();
    expect(seqsOf(cache.read(ROOM, 'normal', 11, 50)?.messages)).toEqual([12, 13, 14]);
    // Older messages that do not reach what it holds are not kept.
    cache.fill(
      ROOM,
      'normal',
      1,
      [2, 3].map((seq) => message(seq)),
      3,
    );
    expect(cache.heldFrom(ROOM, 'normal')).toBe(7);
  });

  it('warms a room from a join answer: each lane known through its seq, the contiguous tail held', () => {
    const cache = new EdgeCache(roomy);
    const recent = { normal: [8, 9, 10].map((seq) => message(seq)), important: [] as RoomMessage[] };
    cache.warm(ROOM, { normal: 10, important: 0 }, recent, { normal: 3, important: 20 });
    expect(cache.latest(ROOM)).toEqual({ normal: 10, important: 0 });
    expect(cache.heldFrom(ROOM, 'normal')).toBe(8);
    expect(seqsOf(cache.recent(ROOM, 'normal', 3))).toEqual([8, 9, 10]);
    expect(cache.read(ROOM, 'important', 0, 50)?.messages).toEqual([]);
    // Fewer than asked: the log holds nothing older, so the whole lane is known.
    const short = new EdgeCache(roomy);
    short.warm(
      ROOM,
      { normal: 2, important: 1 },
      { normal: [message(1), message(2)], important: [message(1, 'important')] },
      { normal: 30, important: 20 },
    );
    expect(seqsOf(short.recent(ROOM, 'normal', 30))).toEqual([1, 2]);
    expect(seqsOf(short.read(ROOM, 'important', 0, 50)?.messages)).toEqual([1]);
  });

  it('keeps each lane within its message bound, oldest batches first, the important lane keeping more', () => {
    const cache = new EdgeCache({ ...roomy, messages: { normal: 4, important: 8 } });
    for (let seq = 1; seq <= 10; seq += 1) {
      cache.append(batch(seq, seq));
      cache.append(batch(seq, seq, 'important'));
    }
    expect(seqsOf(cache.read(ROOM, 'normal', 6, 50)?.messages)).toEqual([7, 8, 9, 10]);
    expect(cache.read(ROOM, 'normal', 5, 50)).toBeUndefined();
    expect(cache.heldFrom(ROOM, 'important')).toBe(3);
    expect(cache.heldMessages()).toEqual({ normal: 4, important: 8 });
    expect(cache.counters.evictedMessages).toBe(6 + 2);
  });

  it('keeps each lane within its byte bound, and always its newest batch', () => {
    const one = batch(1, 1).body.length;
    const cache = new EdgeCache({ ...roomy, bytes: { normal: one * 2, important: one * 2 } });
    for (let seq = 1; seq <= 5; seq += 1) cache.append(batch(seq, seq));
    expect(cache.heldFrom(ROOM, 'normal')).toBe(4);
    expect(cache.bytes).toBeLessThanOrEqual(one * 2);
    const huge = batch(6, 30);
    cache.append(huge);
    expect(cache.heldFrom(ROOM, 'normal')).toBe(6);
    expect(cache.bytes).toBe(huge.body.length);
  });

  it('forgets the least recently used rooms past the gateway bound, and a room on request', () => {
    const size = batch(1, 3, 'normal', 'a').body.length;
    const cache = new EdgeCache({ ...roomy, totalBytes: size * 2 });
    cache.append(batch(1, 3, 'normal', 'a'));
    cache.append(batch(1, 3, 'normal', 'b'));
    // Reading a keeps it: b is the least recently used when c comes.
    expect(cache.read('a', 'normal', 0, 10)).toBeDefined();
    cache.append(batch(1, 3, 'normal', 'c'));
    expect(cache.heldFrom('b', 'normal')).toBeUndefined();
    expect(cache.heldFrom('a', 'normal')).toBe(1);
    expect(cache.counters.evictedRooms).toBe(1);
    cache.forget('a');
    expect(cache.size).toBe(1);
    expect(cache.bytes).toBe(size);
  });

  it('counts a malformed body and holds it as empty', () => {
    const cache = new EdgeCache(roomy);
    cache.append({ roomId: ROOM, lane: 'normal', firstSeq: 1, lastSeq: 1, count: 1, body: 'not json' });
    cache.append(batch(2, 2));
    expect(seqsOf(cache.read(ROOM, 'normal', 0, 10)?.messages)).toEqual([2]);
    expect(cache.counters.malformed).toBe(1);
  });
});
