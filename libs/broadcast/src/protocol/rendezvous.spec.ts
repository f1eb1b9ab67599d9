import { rendezvousOwner } from './rendezvous';

describe('rendezvous hashing', () => {
  const rooms = Array.from({ length: 2000 }, (_, i) => `room-${i}`);

  it('spreads rooms over nodes', () => {
    const counts = new Map<string, number>();
    for (const room of rooms) {
      const owner = rendezvousOwner(room, ['a', 'b', 'c'])!;
      counts.set(owner, (counts.get(owner) ?? 0) + 1);
    }
    for (const id of ['a', 'b', 'c']) expect(counts.get(id)).toBeGreaterThan(500);
  });

  it('moves only the rooms the added node wins, and only the removed node’s rooms', () => {
    for (const room of rooms) {
      const before = rendezvousOwner(room, ['a', 'b', 'c']);
      const added = rendezvousOwner(room, ['a', 'b', 'c', 'd']);
      expect(added === before || added === 'd').toBe(true);
      const removed = rendezvousOwner(room, ['a', 'c']);
      if (before !== 'b') expect(removed).toBe(before);
    }
  });

  it('has no owner without nodes', () => {
    expect(rendezvousOwner('room', [])).toBeUndefined();
  });
});
