import { rendezvousOwner, rendezvousWeight } from './rendezvous';

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

/** The weight as docs/broadcast-protocol.md "Rendezvous" defines it, in BigInt arithmetic. */
function referenceWeight(nodeId: string, roomId: string): bigint {
  const MASK = 0xffffffffffffffffn;
  let hash = 0xcbf29ce484222325n;
  const key = `${nodeId}/${roomId}`;
  for (let i = 0; i < key.length; i += 1) {
    hash ^= BigInt(key.charCodeAt(i) & 0xff);
    hash = (hash * 0x100000001b3n) & MASK;
  }
  hash ^= hash >> 33n;
  hash = (hash * 0xff51afd7ed558ccdn) & MASK;
  hash ^= hash >> 33n;
  hash = (hash * 0xc4ceb9fe1a85ec53n) & MASK;
  hash ^= hash >> 33n;
  return hash;
}

describe('rendezvous weight in limbs', () => {
  it('equals the 64-bit definition, and picks the owner it picks', () => {
    const nodes = ['bn-1', 'bn-2', 'broadcast-node-eu-west-7', 'x'];
    for (let i = 0; i < 3000; i += 1) {
      const room = i % 2 === 0 ? `room-${i}` : `_user-${(i * 2654435761) % 1e9}-${'z'.repeat(i % 40)}`;
      for (const node of nodes) expect(rendezvousWeight(node, room)).toBe(referenceWeight(node, room));
      let best = nodes[0];
      for (const node of nodes) if (referenceWeight(node, room) > referenceWeight(best, room)) best = node;
      expect(rendezvousOwner(room, nodes)).toBe(best);
    }
  });
});
