import { MAX_TOP_ROOMS, type RoomViewers, type SubscriberLoad } from '@live-im/contracts';

/** What the live subscribers report together. */
export interface Audience {
  /** Distinct users per room on each subscriber, summed. */
  viewers: number;
  connections: number;
  /**
   * The rooms with the most viewers, biggest first (ties by room id). Built from each subscriber's
   * own top rooms, so a room just outside every subscriber's list is missed: exact for the rooms
   * that matter, which are big on some subscriber.
   */
  topRooms: RoomViewers[];
}

export function audienceOf(loads: Iterable<SubscriberLoad>, limit = MAX_TOP_ROOMS): Audience {
  const byRoom = new Map<string, number>();
  let viewers = 0;
  let connections = 0;
  for (const load of loads) {
    viewers += load.viewers;
    connections += load.connections;
    for (const room of load.topRooms) byRoom.set(room.roomId, (byRoom.get(room.roomId) ?? 0) + room.viewers);
  }
  const topRooms = [...byRoom]
    .map(([roomId, count]) => ({ roomId, viewers: count }))
    .sort((a, b) => b.viewers - a.viewers || (a.roomId < b.roomId ? -1 : a.roomId > b.roomId ? 1 : 0))
    .slice(0, limit);
  return { viewers, connections, topRooms };
}
