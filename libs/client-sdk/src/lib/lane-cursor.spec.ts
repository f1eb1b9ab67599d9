import type { RoomMessage } from '@live-im/contracts';
import { type GapEvent, type GapRange, type LaneSegment, LaneCursor } from './lane-cursor';
import { message, messages, run } from './__tests__/messages';

function cursor(through = 0) {
  const delivered: number[] = [];
  const repeated: number[] = [];
  const fills: GapRange[] = [];
  const gaps: GapEvent[] = [];
  const lane = new LaneCursor(
    'important',
    {
      deliver: (m: RoomMessage) => delivered.push(m.seq),
      repeated: (m: RoomMessage) => repeated.push(m.seq),
      needFill: (range: GapRange) => fills.push(range),
      gap: (event: GapEvent) => gaps.push(event),
    },
    through,
  );
  return { lane, delivered, repeated, fills, gaps };
}

function segment(first: number, last: number, seqs: readonly number[] = run(first, last)): LaneSegment {
  return { firstSeq: first, lastSeq: last, messages: messages('important', seqs) };
}

describe('LaneCursor', () => {
  it('delivers contiguous segments in seq order and settles through the last seq', () => {
    const s = cursor();
    s.lane.receive(segment(1, 3));
    s.lane.receive(segment(4, 4));
    s.lane.receive({ firstSeq: 5, lastSeq: 7, messages: messages('important', [7, 5, 6]) });
    expect(s.delivered).toEqual(run(1, 7));
    expect(s.lane.through).toBe(7);
    expect(s.fills).toEqual([]);
  });

  it('drops repeats: whole segments and overlapping parts', () => {
    const s = cursor();
    s.lane.receive(segment(1, 5));
    s.lane.receive(segment(3, 6));
    s.lane.receive(segment(1, 2));
    expect(s.delivered).toEqual(run(1, 6));
    expect(s.repeated).toEqual([3, 4, 5, 1, 2]);
  });

  it('skips flow-control holes inside a segment without pulling them', () => {
    const s = cursor();
    // count 3 of 10: seqs 2..4 and 6..9 were dropped on purpose.
    s.lane.receive(segment(1, 10, [1, 5, 10]));
    s.lane.receive(segment(11, 12));
    expect(s.delivered).toEqual([1, 5, 10, 11, 12]);
    expect(s.fills).toEqual([]);
    expect(s.gaps).toEqual([]);
    expect(s.lane.through).toBe(12);
  });

  it('asks for a gap between segments and holds later ones until the fill answers', () => {
    const s = cursor(2);
    s.lane.receive(segment(6, 7));
    s.lane.receive(segment(8, 9));
    expect(s.fills).toEqual([{ lane: 'important', fromSeq: 3, toSeq: 5 }]);
    expect(s.delivered).toEqual([]);
    expect(s.lane.heldSegments).toBe(2);

    s.lane.fillDone(s.fills[0], messages('important', [5, 3, 4, 4]));
    expect(s.delivered).toEqual(run(3, 9));
    expect(s.gaps).toEqual([{ lane: 'important', fromSeq: 3, toSeq: 5, recovered: true }]);
    expect(s.lane.through).toBe(9);
  });

  it('reports a partly recovered gap and goes on', () => {
    const s = cursor();
    s.lane.receive(segment(5, 5));
    s.lane.fillDone(s.fills[0], messages('important', [3, 4]));
    expect(s.delivered).toEqual([3, 4, 5]);
    expect(s.gaps).toEqual([{ lane: 'important', fromSeq: 1, toSeq: 4, recovered: false }]);
  });

  it('gives a range up when the fill fails, then delivers what was held', () => {
    const s = cursor();
    s.lane.receive(segment(4, 5));
    s.lane.fillFailed(s.fills[0]);
    expect(s.delivered).toEqual([4, 5]);
    expect(s.gaps).toEqual([{ lane: 'important', fromSeq: 1, toSeq: 3, recovered: false }]);
  });

  it('a second gap found while draining held segments is asked for in turn', () => {
    const s = cursor();
    s.lane.receive(segment(3, 3));
    s.lane.receive(segment(6, 6));
    s.lane.fillDone(s.fills[0], messages('important', [1, 2]));
    expect(s.delivered).toEqual([1, 2, 3]);
    expect(s.fills[1]).toEqual({ lane: 'important', fromSeq: 4, toSeq: 5 });
    s.lane.fillDone(s.fills[1], messages('important', [4, 5]));
    expect(s.delivered).toEqual(run(1, 6));
  });

  it('ignores fill messages outside the range and answers to a forgotten fill', () => {
    const s = cursor();
    s.lane.receive(segment(3, 3));
    const first = s.fills[0];
    s.lane.reset(0);
    s.lane.fillDone(first, messages('important', [1, 2]));
    expect(s.delivered).toEqual([]);
    s.lane.receive(segment(2, 2));
    s.lane.fillDone(s.fills[1], [message('important', 1), message('important', 2), message('important', 9)]);
    expect(s.delivered).toEqual([1, 2]);
  });

  it('reach() turns a known latest seq into a gap', () => {
    const s = cursor(4);
    s.lane.reach(4);
    expect(s.fills).toEqual([]);
    s.lane.reach(7);
    expect(s.fills).toEqual([{ lane: 'important', fromSeq: 5, toSeq: 7 }]);
  });
});
