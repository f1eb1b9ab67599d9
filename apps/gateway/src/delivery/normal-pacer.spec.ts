import type { TextBatch } from '../socket/batch-event';
import { MIN_PACE_MS, NormalPacer, paceFor } from './normal-pacer';

function batch(roomId: string, firstSeq: number, lastSeq: number): TextBatch {
  const seqs = Array.from({ length: lastSeq - firstSeq + 1 }, (_, i) => firstSeq + i);
  return {
    roomId,
    lane: 'normal',
    firstSeq,
    lastSeq,
    count: seqs.length,
    body: JSON.stringify(seqs.map((seq) => ({ seq }))),
  };
}

const seqsOf = (b: TextBatch): number[] => (JSON.parse(b.body) as Array<{ seq: number }>).map((m) => m.seq);

describe('paceFor', () => {
  const settings = { maxMs: 250, fullAtSockets: 1000 };

  it('grows with the room up to the maximum, and is no pace for small rooms or when off', () => {
    expect(paceFor(1000, settings)).toBe(250);
    expect(paceFor(50_000, settings)).toBe(250);
    expect(paceFor(400, settings)).toBe(100);
    expect(paceFor(30, settings)).toBe(0); // 7.5 ms: under MIN_PACE_MS
    expect(paceFor(40, settings)).toBe(MIN_PACE_MS);
    expect(paceFor(1000, { maxMs: 0, fullAtSockets: 1000 })).toBe(0);
  });
});

describe('NormalPacer', () => {
  let now = 0;
  let released: TextBatch[];
  let pacer: NormalPacer;

  beforeEach(() => {
    jest.useFakeTimers();
    now = 1000;
    released = [];
    pacer = new NormalPacer(
      (b) => released.push(b),
      () => now,
      1_000,
    );
  });

  afterEach(() => jest.useRealTimers());

  async function advance(ms: number): Promise<void> {
    now += ms;
    await jest.advanceTimersByTimeAsync(ms);
  }

  it('releases at once without a pace', () => {
    pacer.offer(batch('small', 1, 2), 0);
    pacer.offer(batch('small', 3, 3), 0);
    expect(released.map((b) => b.lastSeq)).toEqual([2, 3]);
    expect(pacer.held).toBe(0);
  });

  it('lets one batch per pace start, joining what comes in between into the next', async () => {
    pacer.offer(batch('big', 1, 3), 100);
    expect(released).toHaveLength(1);
    pacer.offer(batch('big', 4, 5), 100);
    await advance(30);
    pacer.offer(batch('big', 6, 9), 100);
    expect(released).toHaveLength(1);
    expect(pacer.held).toBe(1);
    await advance(69);
    expect(released).toHaveLength(1);
    await advance(1);
    expect(released).toHaveLength(2);
    expect(released[1]).toMatchObject({ firstSeq: 4, lastSeq: 9, count: 6 });
    expect(seqsOf(released[1])).toEqual([4, 5, 6, 7, 8, 9]);
    // A pace after a held release: the next one waits again.
    pacer.offer(batch('big', 10, 10), 100);
    expect(released).toHaveLength(2);
    await advance(100);
    expect(released.map((b) => b.firstSeq)).toEqual([1, 4, 10]);
  });

  it('paces rooms independently', async () => {
    pacer.offer(batch('a', 1, 1), 100);
    pacer.offer(batch('b', 1, 1), 100);
    pacer.offer(batch('a', 2, 2), 100);
    expect(released.map((b) => `${b.roomId}${b.firstSeq}`)).toEqual(['a1', 'b1']);
    await advance(100);
    expect(released.map((b) => `${b.roomId}${b.firstSeq}`)).toEqual(['a1', 'b1', 'a2']);
  });

  it('never reorders or drops: a batch that cannot be joined releases what waits first', async () => {
    pacer.offer(batch('big', 1, 1), 100);
    pacer.offer(batch('big', 2, 3), 100);
    // A seq gap (flow control dropped 4 upstream): not joinable.
    pacer.offer(batch('big', 5, 6), 100);
    expect(released.map((b) => [b.firstSeq, b.lastSeq])).toEqual([
      [1, 1],
      [2, 3],
    ]);
    // Too big to join (maxJoinedChars 1000).
    pacer.offer(batch('big', 7, 200), 100);
    expect(released.map((b) => b.firstSeq)).toEqual([1, 2, 5]);
    await advance(100);
    expect(released.map((b) => b.firstSeq)).toEqual([1, 2, 5, 7]);
    expect(pacer.held).toBe(0);
  });

  it('flushAll releases everything held and cancels the timers', async () => {
    pacer.offer(batch('a', 1, 1), 100);
    pacer.offer(batch('a', 2, 2), 100);
    pacer.flushAll();
    expect(released.map((b) => b.firstSeq)).toEqual([1, 2]);
    expect(jest.getTimerCount()).toBe(0);
    await advance(200);
    expect(released).toHaveLength(2);
  });

  it('passes batches straight through after flushAll', () => {
    pacer.flushAll();
    pacer.offer(batch('a', 1, 1), 100);
    pacer.offer(batch('a', 2, 2), 100);
    expect(released.map((b) => b.firstSeq)).toEqual([1, 2]);
  });

  it('hands a closing room its held batch and forgets the room', async () => {
    pacer.offer(batch('a', 1, 1), 100);
    pacer.offer(batch('a', 2, 3), 100);
    expect(pacer.take('a')).toMatchObject({ firstSeq: 2, lastSeq: 3 });
    expect(pacer.take('a')).toBeUndefined();
    await advance(200);
    expect(released.map((b) => b.firstSeq)).toEqual([1]);
    // A room that comes back starts unpaced.
    pacer.offer(batch('a', 4, 4), 100);
    expect(released.map((b) => b.firstSeq)).toEqual([1, 4]);
  });

  it('hands an important pass the held batch, its pace running from then', async () => {
    pacer.offer(batch('a', 1, 1), 100);
    expect(pacer.releaseInto('a')).toBeUndefined();
    pacer.offer(batch('a', 2, 3), 100);
    await advance(60);
    expect(pacer.releaseInto('a')).toMatchObject({ firstSeq: 2, lastSeq: 3 });
    expect(pacer.held).toBe(0);
    // The taken batch counts as the room's release: the next one waits a whole pace from it.
    pacer.offer(batch('a', 4, 4), 100);
    await advance(99);
    expect(released.map((b) => b.firstSeq)).toEqual([1]);
    await advance(1);
    expect(released.map((b) => b.firstSeq)).toEqual([1, 4]);
  });
});
