import type { Lane } from '@live-im/contracts';
import type { TextBatch } from './batch-envelopes';
import { FanoutQueue } from './fanout-queue';

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

function drain(queue: FanoutQueue): TextBatch[] {
  const out: TextBatch[] = [];
  for (let job = queue.head(); job !== undefined; job = queue.head()) {
    out.push(job.batch);
    queue.finish(job);
  }
  return out;
}

describe('FanoutQueue', () => {
  it('serves important batches first, each lane in arrival order', () => {
    const queue = new FanoutQueue(1024);
    queue.push(batch('a', 'normal', [1]));
    queue.push(batch('b', 'normal', [1]));
    queue.push(batch('a', 'important', [1]));
    queue.push(batch('a', 'important', [2]));
    expect(drain(queue).map((b) => `${b.roomId}:${b.lane}:${b.firstSeq}`)).toEqual([
      'a:important:1',
      'a:important:2',
      'a:normal:1',
      'b:normal:1',
    ]);
    expect(queue.size).toBe(0);
  });

  it('joins consecutive normal batches of a room while the first waits, keeping every message', () => {
    const queue = new FanoutQueue(1024);
    queue.push(batch('a', 'normal', [1, 2]));
    // Seq 3 dropped by the node on purpose: inside this batch's range.
    queue.push({ ...batch('a', 'normal', [4, 5]), firstSeq: 3 });
    queue.push(batch('a', 'normal', [6]));
    const [only, ...rest] = drain(queue);
    expect(rest).toEqual([]);
    expect([only?.firstSeq, only?.lastSeq, only?.count]).toEqual([1, 6, 5]);
    expect(JSON.parse(only?.body ?? '').map((m: { seq: number }) => m.seq)).toEqual([1, 2, 4, 5, 6]);
    expect(queue.joined).toBe(2);
  });

  it('never joins into a batch whose fan-out started, across a seq gap, or past the size bound', () => {
    const queue = new FanoutQueue(60);
    queue.push(batch('a', 'normal', [1]));
    const started = queue.head();
    queue.push(batch('a', 'normal', [2]));
    queue.push(batch('a', 'normal', [5])); // a gap: a loss the client must see
    queue.push(batch('a', 'normal', [6, 7, 8])); // too big to join
    expect(started?.batch.lastSeq).toBe(1);
    expect(drain(queue).map((b) => [b.firstSeq, b.lastSeq])).toEqual([
      [1, 1],
      [2, 2],
      [5, 5],
      [6, 8],
    ]);
    expect(queue.joined).toBe(0);
  });

  it('never joins important batches', () => {
    const queue = new FanoutQueue(1024);
    queue.push(batch('a', 'important', [1]));
    queue.push(batch('a', 'important', [2]));
    expect(drain(queue)).toHaveLength(2);
  });

  it('drops the oldest waiting normal batch when too many wait, never the one being written', () => {
    const queue = new FanoutQueue(2, 3);
    for (let seq = 1; seq <= 5; seq += 1) queue.push(batch(`r${seq}`, 'normal', [seq]));
    expect(queue.dropped).toBe(2);
    expect(drain(queue).map((b) => b.roomId)).toEqual(['r1', 'r4', 'r5']);
  });
});
