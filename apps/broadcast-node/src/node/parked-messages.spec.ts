import { ParkedMessages } from './parked-messages';

const body = (seq: number) => Buffer.from(String(seq));

describe('ParkedMessages', () => {
  it('keeps messages sorted by seq, refuses a seq parked twice, and hands them out lowest first', () => {
    const parked = new ParkedMessages();
    for (const [seq, at] of [
      [7, 10],
      [5, 11],
      [9, 12],
      [6, 13],
    ] as const)
      expect(parked.insert(seq, body(seq), at)).toBe(true);
    expect(parked.insert(6, body(6), 14)).toBe(false);
    expect(parked.size).toBe(4);
    expect(parked.lowestSeq).toBe(5);
    expect(parked.oldestArrival()).toBe(10);
    expect(parked.takeLowest().toString()).toBe('5');
    expect(parked.takeLowest().toString()).toBe('6');
    // 7 (arrived at 10) is still there; 9 arrived at 12.
    expect(parked.oldestArrival()).toBe(10);
    expect(parked.takeLowest().toString()).toBe('7');
    expect(parked.oldestArrival()).toBe(12);
    // Inserting below the head after taking some still sorts.
    expect(parked.insert(8, body(8), 20)).toBe(true);
    expect([parked.takeLowest(), parked.takeLowest()].map(String)).toEqual(['8', '9']);
    expect(parked.size).toBe(0);
    expect(parked.oldestArrival()).toBe(Number.POSITIVE_INFINITY);
    expect(parked.insert(3, body(3), 30)).toBe(true);
    expect(parked.lowestSeq).toBe(3);
    parked.clear();
    expect(parked.size).toBe(0);
  });
});
