import type { TextBatch } from '../socket/batch-event';
import type { RoomEntry } from '../socket/socket-session';
import { unansweredPart } from './join-catch-up';

function batch(lane: 'normal' | 'important', seqs: number[]): TextBatch {
  const body = JSON.stringify(seqs.map((seq) => ({ id: `m${seq}`, seq })));
  return {
    roomId: 'r1',
    lane,
    firstSeq: seqs[0],
    lastSeq: seqs[seqs.length - 1],
    count: seqs.length,
    body,
  };
}

function joined(normal: number, important: number): RoomEntry {
  return { state: 'joined', settled: Promise.resolve(), answeredThrough: { normal, important } };
}

describe('unansweredPart', () => {
  it('skips batches the join answer covered, per lane', () => {
    const entry = joined(10, 4);
    expect(unansweredPart(entry, batch('normal', [9, 10]))).toBe('none');
    expect(unansweredPart(entry, batch('important', [3, 4]))).toBe('none');
    expect(entry.answeredThrough).toEqual({ normal: 10, important: 4 });
  });

  it('passes the first batch beyond the answer whole and ends the catch-up of that lane', () => {
    const entry = joined(10, 4);
    expect(unansweredPart(entry, batch('normal', [11, 12]))).toBe('all');
    expect(entry.answeredThrough).toEqual({ important: 4 });
    expect(unansweredPart(entry, batch('important', [5]))).toBe('all');
    expect(entry.answeredThrough).toBeUndefined();
    expect(unansweredPart(entry, batch('normal', [1]))).toBe('all');
  });

  it('cuts a straddling batch down to the messages past the answer', () => {
    const entry = joined(0, 6);
    const part = unansweredPart(entry, batch('important', [5, 6, 7, 8]));
    expect(part).not.toBe('all');
    expect(part).not.toBe('none');
    const trimmed = part as TextBatch;
    expect([trimmed.firstSeq, trimmed.lastSeq, trimmed.count]).toEqual([7, 8, 2]);
    expect(JSON.parse(trimmed.body).map((m: { seq: number }) => m.seq)).toEqual([7, 8]);
  });

  it('leaves sockets without a pending answer alone', () => {
    expect(unansweredPart({ state: 'joined', settled: Promise.resolve() }, batch('normal', [1]))).toBe('all');
  });
});
