import { LaneReorderBuffer, MAX_OPEN_GAPS, MAX_OPEN_LATE_GAPS } from './lane-reorder-buffer';
import { RoomBatch, SeqGap } from './room-batch';

function batch(firstSeq: number, lastSeq: number): RoomBatch {
  return {
    roomId: 'r',
    lane: 'normal',
    firstSeq,
    lastSeq,
    count: lastSeq - firstSeq + 1,
    body: Buffer.from('[]'),
  };
}

describe('LaneReorderBuffer', () => {
  let delivered: string[];
  let gaps: SeqGap[];
  let duplicates: number;
  let lost: number[];
  let late: number[];
  let reorder: LaneReorderBuffer;

  beforeEach(() => {
    delivered = [];
    gaps = [];
    duplicates = 0;
    lost = [];
    late = [];
    reorder = new LaneReorderBuffer(
      {
        deliver: (b) => delivered.push(`${b.firstSeq}-${b.lastSeq}`),
        gap: (g) => gaps.push(g),
        duplicate: () => (duplicates += 1),
        lost: (_g, seqs) => lost.push(seqs),
        late: (_g, seqs) => late.push(seqs),
      },
      { settleMs: 1000 },
    );
  });

  it('takes the first batch as the baseline and restores seq order', () => {
    reorder.offer(batch(10, 11), 0);
    expect(reorder.offer(batch(14, 15), 1)).toBe(true);
    expect(reorder.offer(batch(12, 13), 2)).toBe(false);
    expect(delivered).toEqual(['10-11', '12-13', '14-15']);
    expect(reorder.nextSeq).toBe(16);
  });

  it('releases a waiting batch after the window and reports the gap, keeping later ones waiting', () => {
    reorder.offer(batch(1, 1), 0);
    reorder.offer(batch(5, 5), 10);
    reorder.offer(batch(9, 9), 60);
    reorder.expire(100, 100);
    expect(delivered).toEqual(['1-1']);
    reorder.expire(110, 100);
    expect(delivered).toEqual(['1-1', '5-5']);
    expect(gaps).toEqual([{ roomId: 'r', lane: 'normal', fromSeq: 2, toSeq: 4 }]);
    reorder.offer(batch(6, 8), 120);
    expect(delivered).toEqual(['1-1', '5-5', '6-8', '9-9']);
    expect(reorder.hasWaiting).toBe(false);
  });

  it('drops batches already delivered, waiting twice, or overtaken while waiting', () => {
    reorder.offer(batch(1, 3), 0);
    reorder.offer(batch(2, 3), 1);
    reorder.offer(batch(6, 6), 2);
    reorder.offer(batch(6, 6), 3);
    reorder.offer(batch(4, 7), 4);
    expect(delivered).toEqual(['1-3', '4-7']);
    expect(duplicates).toBe(3);
  });

  it('counts the seqs of a gap as lost once it settles, never before, and only once', () => {
    reorder.offer(batch(1, 1), 0);
    reorder.offer(batch(5, 5), 0);
    reorder.expire(100, 100);
    expect(gaps).toHaveLength(1);
    expect(reorder.hasOpenGaps).toBe(true);
    reorder.settle(1099);
    expect(lost).toEqual([]);
    reorder.settle(1100);
    expect(lost).toEqual([3]);
    expect(reorder.hasOpenGaps).toBe(false);
    reorder.settle(5000);
    reorder.discard();
    expect(lost).toEqual([3]);
  });

  it('takes seqs that arrive after their gap was reported out of it: late, not lost', () => {
    reorder.offer(batch(1, 1), 0);
    reorder.offer(batch(12, 12), 0);
    reorder.expire(100, 100);
    expect(gaps).toEqual([{ roomId: 'r', lane: 'normal', fromSeq: 2, toSeq: 11 }]);
    // 4..6 come late from the room's previous node: dropped (already passed), but not lost.
    reorder.offer(batch(4, 6), 200);
    expect(duplicates).toBe(1);
    expect(late).toEqual([3]);
    // The same batch again (a relay's repeat) is not late twice.
    reorder.offer(batch(4, 6), 210);
    expect(late).toEqual([3]);
    // A batch that reaches past the gap fills its end and is delivered.
    reorder.offer(batch(10, 13), 300);
    expect(late).toEqual([3, 2]);
    expect(delivered).toEqual(['1-1', '12-12', '10-13']);
    reorder.settle(1100);
    // Left: 2..3 and 7..9.
    expect(lost.reduce((a, b) => a + b, 0)).toBe(5);
  });

  it('settles open gaps at once when the lane is discarded', () => {
    reorder.offer(batch(1, 1), 0);
    reorder.offer(batch(4, 4), 0);
    reorder.expire(100, 100);
    reorder.discard();
    expect(lost).toEqual([2]);
    expect(reorder.hasOpenGaps).toBe(false);
  });

  it('settles the oldest open gap early rather than keep more than MAX_OPEN_GAPS', () => {
    reorder.offer(batch(1, 1), 0);
    for (let i = 1; i <= MAX_OPEN_GAPS + 1; i += 1) {
      reorder.offer(batch(2 * i + 1, 2 * i + 1), i);
      reorder.expire(i + 100, 100);
    }
    expect(gaps).toHaveLength(MAX_OPEN_GAPS + 1);
    expect(lost).toEqual([1]);
  });

  describe('with deliverLate (a user channel)', () => {
    let deliveredLate: number;

    beforeEach(() => {
      deliveredLate = 0;
      reorder = new LaneReorderBuffer(
        {
          deliver: (b) => delivered.push(`${b.firstSeq}-${b.lastSeq}`),
          gap: (g) => gaps.push(g),
          duplicate: () => (duplicates += 1),
          lost: (_g, seqs) => lost.push(seqs),
          late: (_g, seqs) => late.push(seqs),
          deliveredLate: (b) => (deliveredLate += b.count),
        },
        { settleMs: 1000, deliverLate: true },
      );
    });

    it('delivers a seq that comes after its gap was reported, once, and does not count it lost', () => {
      reorder.offer(batch(1, 1), 0);
      reorder.offer(batch(3, 4), 0);
      reorder.expire(100, 100);
      expect(gaps).toEqual([{ roomId: 'r', lane: 'normal', fromSeq: 2, toSeq: 2 }]);
      // Another worker's 2, published by the node after it gave the gap up.
      reorder.offer(batch(2, 2), 400);
      expect(delivered).toEqual(['1-1', '3-4', '2-2']);
      expect(late).toEqual([1]);
      expect(deliveredLate).toBe(1);
      // A relay's repeat of it, and of what was delivered in order, are dropped.
      reorder.offer(batch(2, 2), 410);
      reorder.offer(batch(3, 3), 420);
      expect(duplicates).toBe(2);
      expect(reorder.nextSeq).toBe(5);
      reorder.settle(5000);
      expect(lost).toEqual([]);
    });

    it('still counts as lost what never comes, and drops it if it comes after settling', () => {
      reorder.offer(batch(1, 1), 0);
      reorder.offer(batch(4, 4), 0);
      reorder.expire(100, 100);
      reorder.offer(batch(3, 3), 200);
      reorder.settle(1100);
      expect(lost).toEqual([1]);
      reorder.offer(batch(2, 2), 1200);
      expect(delivered).toEqual(['1-1', '4-4', '3-3']);
      expect(duplicates).toBe(1);
    });

    it('delivers seqs below its first batch that come later, without reporting or losing them', () => {
      reorder.offer(batch(5, 6), 0);
      expect(reorder.hasOpenGaps).toBe(true);
      reorder.offer(batch(3, 3), 10);
      reorder.offer(batch(3, 3), 20);
      expect(delivered).toEqual(['5-6', '3-3']);
      expect(duplicates).toBe(1);
      expect(gaps).toEqual([]);
      expect(late).toEqual([]);
      expect(deliveredLate).toBe(1);
      reorder.settle(1000);
      expect(reorder.hasOpenGaps).toBe(false);
      expect(lost).toEqual([]);
      // Settled: a seq that old is no longer told from a repeat.
      reorder.offer(batch(4, 4), 1100);
      expect(duplicates).toBe(2);
    });

    it('keeps up to MAX_OPEN_LATE_GAPS gaps open, so many interleaved late seqs all arrive', () => {
      reorder.offer(batch(1, 1), 0);
      // Odd seqs on time, each even one later than the window.
      for (let i = 1; i <= 500; i += 1) {
        reorder.offer(batch(2 * i + 1, 2 * i + 1), i);
        reorder.expire(i + 100, 100);
      }
      for (let i = 1; i <= 500; i += 1) reorder.offer(batch(2 * i, 2 * i), 700);
      expect(gaps).toHaveLength(500);
      expect(deliveredLate).toBe(500);
      expect(delivered).toHaveLength(1001);
      expect(MAX_OPEN_LATE_GAPS).toBeGreaterThan(500);
      reorder.settle(5000);
      expect(lost).toEqual([]);
    });
  });

  describe('reach (a seq beacon)', () => {
    it('reports the seqs the beacon names beyond the last batch as a gap and moves past them', () => {
      reorder.offer(batch(1, 4), 0);
      expect(reorder.reach('r', 'normal', 5, 10)).toBe(true);
      expect(gaps).toEqual([{ roomId: 'r', lane: 'normal', fromSeq: 5, toSeq: 5 }]);
      expect(reorder.nextSeq).toBe(6);
      // The lost seq arriving afterwards is late, not delivered twice.
      reorder.offer(batch(5, 5), 20);
      expect(late).toEqual([1]);
      expect(duplicates).toBe(1);
      expect(delivered).toEqual(['1-4']);
    });

    it('does nothing when the lane is up to date, has no baseline, or has batches waiting', () => {
      expect(reorder.reach('r', 'normal', 3, 0)).toBe(false);
      reorder.offer(batch(1, 4), 0);
      expect(reorder.reach('r', 'normal', 4, 1)).toBe(false);
      reorder.offer(batch(7, 7), 2);
      expect(reorder.reach('r', 'normal', 9, 3)).toBe(false);
      expect(gaps).toEqual([]);
    });

    it('leaves what never comes to settle as lost', () => {
      reorder.offer(batch(1, 1), 0);
      reorder.reach('r', 'normal', 3, 0);
      reorder.settle(1000);
      expect(lost).toEqual([2]);
    });
  });
});
