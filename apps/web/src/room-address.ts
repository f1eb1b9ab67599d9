import { RoomId } from '@live-im/contracts';

/** The room a bare page URL opens. */
export const DEFAULT_ROOM_ID = 'demo';

export type RoomAddress = { ok: true; roomId: string } | { ok: false; given: string; problem: string };

/** The room of `?room=<id>` (default `demo`), checked against the contract's RoomId. */
export function roomAddressOf(search: string): RoomAddress {
  const given = new URLSearchParams(search).get('room');
  if (given === null || given.trim() === '') return { ok: true, roomId: DEFAULT_ROOM_ID };
  const parsed = RoomId.safeParse(given.trim());
  if (parsed.success) return { ok: true, roomId: parsed.data };
  return { ok: false, given, problem: parsed.error.issues[0]?.message ?? 'not a room id' };
}
