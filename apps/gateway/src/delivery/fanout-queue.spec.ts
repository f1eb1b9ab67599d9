import type { Lane, OnlineInfo } from '@live-im/contracts';
import type { TextBatch } from '../socket/batch-event';
import { FanoutQueue, type RoomPass } from './fanout-queue';

function batch(roomId: string, lane: Lane, seqs: number[]): TextBatch {
  const body = JSON.stringify(seqs.map((seq) => ({ id: `m${seq}`, seq })));
  return {
    roomId,
    lane,
    firstSeq: seqs[0],
    lastSeq: seqs[seqs.length - 1],
    count: seqs.length,
    body,
  };
}

function online(roomId: string, count: number): OnlineInfo {
  return { roomId, count, peak: count, viewersEver: count };
}

/** Every pass, in the order the queue hands them out, each finished at once. */
function drain(queue: FanoutQueue): RoomPass[] {
  const out: RoomPass[] = [];
  for (let line = queue.next(); line !== undefined; line = queue.next()) {
    out.push(queue.begin(line));
    queue.finish(line);
  }
  return out;
}

const seqsOf = (batches: TextBatch[]): Array<[number, number]> => batches.map((b) => [b.firstSeq, b.lastSeq]);

describe('FanoutQueue', () => {
  it('serves rooms with important writes first, and puts both lanes and the online figures in one pass', () => {
    const queue = new FanoutQueue(1024);
    queue.push(batch('b', 'normal', [1]));
    queue.push(batch('a', 'normal', [1]));
    queue.pushOnline(online('a', 3));
    queue.push(batch('a', 'important', [1]));
    const passes = drain(queue);
    expect(passes.map((p) => p.roomId)).toEqual(['a', 'b']);
    expect(seqsOf(passes[0].important)).toEqual([[1, 1]]);
    expect(seqsOf(passes[0].normal)).toEqual([[1, 1]]);
    expect(passes[0].online).toEqual(online('a', 3));
    expect(queue.size).toBe(0);
  });

  it('rests online figures alone until a batch of the room takes them along, or they are released', () => {
    const queue = new FanoutQueue(1024);
    expect(queue.pushOnline(online('a', 1), true)).toBe(true);
    expect(queue.pushOnline(online('b', 1), true)).toBe(true);
    expect(queue.next()).toBeUndefined();
    expect(queue.active).toBe(0);
    expect(queue.size).toBe(2);
    queue.push(batch('a', 'normal', [1]));
    const [ridden, ...none] = drain(queue);
    expect(none).toEqual([]);
    expect(seqsOf(ridden.normal)).toEqual([[1, 1]]);
    expect(ridden.online).toEqual(online('a', 1));
    queue.releaseResting();
    const [alone, ...rest] = drain(queue);
    expect(rest).toEqual([]);
    expect(alone.roomId).toBe('b');
    expect(alone.online).toEqual(online('b', 1));
    expect(queue.size).toBe(0);
    // A room with a write waiting takes its figures at once.
    queue.push(batch('c', 'normal', [1]));
    expect(queue.pushOnline(online('c', 2), true)).toBe(false);
  });

  it('joins consecutive batches of a lane while they wait, important ones too, keeping every message', () => {
    const queue = new FanoutQueue(1024);
    queue.push(batch('a', 'normal', [1, 2]));
    // Seq 3 dropped by the node on purpose: inside this batch's range.
    queue.push({ ...batch('a', 'normal', [4, 5]), firstSeq: 3 });
    queue.push(batch('a', 'normal', [6]));
    queue.push(batch('a', 'important', [1]));
    queue.push(batch('a', 'important', [2]));
    const [only, ...rest] = drain(queue);
    expect(rest).toEqual([]);
    expect(only.normal.map((b) => [b.firstSeq, b.lastSeq, b.count])).toEqual([[1, 6, 5]]);
    expect(JSON.parse(only.normal[0].body).map((m: { seq: number }) => m.seq)).toEqual([1, 2, 4, 5, 6]);
    expect(seqsOf(only.important)).toEqual([[1, 2]]);
    expect(queue.joined).toBe(3);
  });

  it('keeps what arrives during a pass for the next one, and never joins across a gap or past the bound', () => {
    const queue = new FanoutQueue(60);
    queue.push(batch('a', 'normal', [1]));
    const line = queue.next();
    if (line === undefined) throw new Error('no line');
    const first = queue.begin(line);
    queue.push(batch('a', 'normal', [2]));
    queue.push(batch('a', 'normal', [5])); // a gap: a loss the client must see
    queue.push(batch('a', 'normal', [6, 7, 8])); // too big to join
    queue.pushOnline(online('a', 1));
    queue.pushOnline(online('a', 2));
    expect(seqsOf(first.normal)).toEqual([[1, 1]]);
    queue.finish(line);
    const [second, ...rest] = drain(queue);
    expect(rest).toEqual([]);
    expect(seqsOf(second.normal)).toEqual([
      [2, 2],
      [5, 5],
      [6, 8],
    ]);
    expect(second.online).toEqual(online('a', 2));
    expect(queue.joined).toBe(0);
  });

  it('moves a room up when an important batch arrives during its normal pass', () => {
    const queue = new FanoutQueue(1024);
    queue.push(batch('a', 'normal', [1]));
    queue.push(batch('b', 'normal', [1]));
    const a = queue.next();
    if (a === undefined) throw new Error('no line');
    queue.begin(a);
    queue.rotate(a);
    expect(queue.next()?.roomId).toBe('b');
    queue.push(batch('a', 'important', [1]));
    expect(queue.next()?.roomId).toBe('a');
  });

  it('takes turns between rooms of one rank, a slice at a time', () => {
    const queue = new FanoutQueue(1024);
    queue.push(batch('a', 'important', [1]));
    queue.push(batch('b', 'important', [1]));
    const a = queue.next();
    if (a === undefined) throw new Error('no line');
    queue.begin(a);
    queue.rotate(a);
    expect(queue.next()?.roomId).toBe('b');
  });

  it('drops the oldest waiting normal batch of a room when too many could not be joined', () => {
    const queue = new FanoutQueue(2, 3);
    for (const seq of [1, 3, 5, 7, 9]) queue.push(batch('r', 'normal', [seq]));
    expect(queue.dropped).toBe(2);
    expect(seqsOf(drain(queue)[0].normal)).toEqual([
      [5, 5],
      [7, 7],
      [9, 9],
    ]);
  });
});
