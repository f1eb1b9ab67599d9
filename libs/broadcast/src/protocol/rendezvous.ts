/**
 * Rendezvous hashing in 16-bit limbs: a node's weight for a room is 64-bit FNV-1a of
 * `nodeId/roomId`, then murmur3's fmix64 finaliser (FNV alone leaves keys that differ in their last
 * bytes badly spread). Limbs rather than BigInt because a gateway places every user channel it
 * holds when the topology changes (BigInt: about 7 µs a weight; limbs: a small fraction of it);
 * each limb product is below 2^32 and each column sum below 2^35, so the arithmetic is exact.
 */
const weight = [0, 0, 0, 0];

/** FNV-1a's 64-bit prime 0x100000001b3, as limbs (low first). */
const FNV_PRIME = [0x01b3, 0x0000, 0x0100, 0x0000] as const;
/** fmix64's multipliers 0xff51afd7ed558ccd and 0xc4ceb9fe1a85ec53. */
const FMIX_1 = [0x8ccd, 0xed55, 0xafd7, 0xff51] as const;
const FMIX_2 = [0xec53, 0x1a85, 0xb9fe, 0xc4ce] as const;

/** `weight *= factor` mod 2^64. */
function multiply(factor: readonly [number, number, number, number]): void {
  const [a0, a1, a2, a3] = weight as [number, number, number, number];
  const [b0, b1, b2, b3] = factor;
  let column = a0 * b0;
  weight[0] = column % 0x10000;
  column = Math.floor(column / 0x10000) + a0 * b1 + a1 * b0;
  weight[1] = column % 0x10000;
  column = Math.floor(column / 0x10000) + a0 * b2 + a1 * b1 + a2 * b0;
  weight[2] = column % 0x10000;
  column = Math.floor(column / 0x10000) + a0 * b3 + a1 * b2 + a2 * b1 + a3 * b0;
  weight[3] = column % 0x10000;
}

/** `weight ^= weight >> 33`. */
function mixShift(): void {
  const high = (weight[3] * 0x10000 + weight[2]) >>> 1;
  weight[0] ^= high & 0xffff;
  weight[1] ^= high >>> 16;
}

/** Computes the weight of `nodeId` for `roomId` into `weight`. */
function computeWeight(nodeId: string, roomId: string): void {
  weight[0] = 0x2325;
  weight[1] = 0x8422;
  weight[2] = 0x9ce4;
  weight[3] = 0xcbf2;
  const key = `${nodeId}/${roomId}`;
  for (let i = 0; i < key.length; i += 1) {
    weight[0] ^= key.charCodeAt(i) & 0xff;
    multiply(FNV_PRIME);
  }
  mixShift();
  multiply(FMIX_1);
  mixShift();
  multiply(FMIX_2);
  mixShift();
}

/** The rendezvous weight of a node for a room, as an unsigned 64-bit integer. */
export function rendezvousWeight(nodeId: string, roomId: string): bigint {
  computeWeight(nodeId, roomId);
  return (
    (BigInt(weight[3]) << 48n) | (BigInt(weight[2]) << 32n) | (BigInt(weight[1]) << 16n) | BigInt(weight[0])
  );
}

/**
 * The owner of a room among `nodeIds`: the one with the highest weight (ties by id). Adding or
 * removing a node moves only the rooms that node wins or held.
 */
export function rendezvousOwner(roomId: string, nodeIds: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestHigh = -1;
  let bestLow = -1;
  for (const id of nodeIds) {
    computeWeight(id, roomId);
    const high = weight[3] * 0x10000 + weight[2];
    const low = weight[1] * 0x10000 + weight[0];
    if (
      high > bestHigh ||
      (high === bestHigh && (low > bestLow || (low === bestLow && best !== undefined && id < best)))
    ) {
      best = id;
      bestHigh = high;
      bestLow = low;
    }
  }
  return best;
}
