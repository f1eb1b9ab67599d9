import { LaneSequencer } from './lane-sequencer';
import { RoomBatch, SeqGap } from './room-batch';

function batch(firstSeq: number, lastSeq: number): RoomBatch {
  return { roomId: 'r', lane: 'normal', firstSeq, lastSeq, count: lastSeq - firstSeq + 1, body: Buffer.from('[]') };
}

describe('LaneSequencer', () => {
  let delivered: string[];
  let gaps: SeqGap[];
  let duplicates: number;
  let sequencer: LaneSequencer;

  beforeEach(() => {
    delivered = [];
    gaps = [];
    duplicates = 0;
    sequencer = new LaneSequencer({
      deliver: (b) => delivered.push(`${b.firstSeq}-${b.lastSeq}`),
      gap: (g) => gaps.push(g),
      duplicate: () => (duplicates += 1),
    });
  });

  it('takes the first batch as the baseline and restores seq order', () => {
    sequencer.offer(batch(10, 11), 0);
    expect(sequencer.offer(batch(14, 15), 1)).toBe(true);
    expect(sequencer.offer(batch(12, 13), 2)).toBe(false);
    expect(delivered).toEqual(['10-11', '12-13', '14-15']);
    expect(sequencer.nextSeq).toBe(16);
  });

  it('releases a waiting batch after the window and reports the gap, keeping later ones waiting', () => {
    sequencer.offer(batch(1, 1), 0);
    sequencer.offer(batch(5, 5), 10);
    sequencer.offer(batch(9, 9), 60);
    sequencer.expire(100, 100);
    expect(delivered).toEqual(['1-1']);
    sequencer.expire(110, 100);
    expect(delivered).toEqual(['1-1', '5-5']);
    expect(gaps).toEqual([{ roomId: 'r', lane: 'normal', fromSeq: 2, toSeq: 4 }]);
    sequencer.offer(batch(6, 8), 120);
    expect(delivered).toEqual(['1-1', '5-5', '6-8', '9-9']);
    expect(sequencer.hasWaiting).toBe(false);
  });

  it('drops batches already delivered, waiting twice, or overtaken while waiting', () => {
    sequencer.offer(batch(1, 3), 0);
    sequencer.offer(batch(2, 3), 1);
    sequencer.offer(batch(6, 6), 2);
    sequencer.offer(batch(6, 6), 3);
    sequencer.offer(batch(4, 7), 4);
    expect(delivered).toEqual(['1-3', '4-7']);
    expect(duplicates).toBe(3);
  });
});
