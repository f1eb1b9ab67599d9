const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const MASK = 0xffffffffffffffffn;

/**
 * The rendezvous weight of a node for a room: 64-bit FNV-1a of `nodeId/roomId`, then murmur3's
 * fmix64 finaliser (FNV alone leaves keys that differ in their last bytes badly spread).
 */
export function rendezvousWeight(nodeId: string, roomId: string): bigint {
  let hash = FNV_OFFSET;
  const key = `${nodeId}/${roomId}`;
  for (let i = 0; i < key.length; i += 1) {
    hash ^= BigInt(key.charCodeAt(i) & 0xff);
    hash = (hash * FNV_PRIME) & MASK;
  }
  hash ^= hash >> 33n;
  hash = (hash * 0xff51afd7ed558ccdn) & MASK;
  hash ^= hash >> 33n;
  hash = (hash * 0xc4ceb9fe1a85ec53n) & MASK;
  hash ^= hash >> 33n;
  return hash;
}

/**
 * The owner of a room among `nodeIds`: the one with the highest weight (ties by id). Adding or
 * removing a node moves only the rooms that node wins or held.
 */
export function rendezvousOwner(roomId: string, nodeIds: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestWeight = -1n;
  for (const id of nodeIds) {
    const weight = rendezvousWeight(id, roomId);
    if (weight > bestWeight || (weight === bestWeight && best !== undefined && id < best)) {
      best = id;
      bestWeight = weight;
    }
  }
  return best;
}
