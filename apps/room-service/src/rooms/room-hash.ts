import { ErrorCode, RoomInfo, RpcError } from '@live-im/contracts';
import { z } from 'zod';

const RoomHash = z.object({
  roomId: z.string(),
  title: z.string(),
  ownerId: z.string(),
  status: z.enum(['open', 'closed']),
  createdAt: z.coerce.number().int(),
  closedAt: z.coerce.number().int().optional(),
});

/** A room's hash as RoomInfo; NOT_FOUND when the hash is empty (never created). */
export function toRoomInfo(hash: Record<string, string>, roomId: string): RoomInfo {
  if (Object.keys(hash).length === 0) throw new RpcError(ErrorCode.NOT_FOUND, `no room ${roomId}`);
  const { closedAt, ...room } = RoomHash.parse(hash);
  return { ...room, closedAt: closedAt ?? null };
}

/** HGETALL as Lua returns it (a flat field, value list) to a record. */
export function pairsToRecord(flat: readonly unknown[]): Record<string, string> {
  const record: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) record[String(flat[i])] = String(flat[i + 1]);
  return record;
}
