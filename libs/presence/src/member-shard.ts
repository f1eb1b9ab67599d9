/** Shards of a room's member list; tracker and store must use the same number (same config). */
export const DEFAULT_MEMBER_SHARDS = 16;

/** Members a gateway lists per shard of a room; the rest are counted online but not listed. */
export const DEFAULT_MEMBER_CAP_PER_SHARD = 100;

const FNV_OFFSET_BASIS = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** The member-list shard of a user: FNV-1a 32-bit over the UTF-8 bytes of the id, modulo `shards`. */
export function memberShard(userId: string, shards: number): number {
  let hash = FNV_OFFSET_BASIS;
  for (const byte of Buffer.from(userId, 'utf8')) {
    hash = Math.imul(hash ^ byte, FNV_PRIME) >>> 0;
  }
  return hash % shards;
}
