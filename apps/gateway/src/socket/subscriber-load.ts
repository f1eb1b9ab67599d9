import { MAX_TOP_ROOMS, type RoomViewers, type SubscriberLoad } from '@live-im/contracts';
import type { PresenceTracker } from '@live-im/presence';
import type { SessionRegistry } from './session-registry';

/**
 * What this gateway tells the node manager with each heartbeat (its dashboard sums the top rooms
 * of every gateway): sockets, rooms with local members, viewers (distinct users per room, summed),
 * and the MAX_TOP_ROOMS rooms with the most distinct users here. One pass over the rooms keeping a
 * short sorted list: cheap once a heartbeat.
 */
export function subscriberLoadOf(tracker: PresenceTracker, sessions: SessionRegistry): () => SubscriberLoad {
  return () => {
    const rooms = tracker.rooms();
    const top: RoomViewers[] = [];
    let total = 0;
    for (const roomId of rooms) {
      const viewers = tracker.count(roomId);
      total += viewers;
      if (top.length === MAX_TOP_ROOMS && viewers <= top[top.length - 1].viewers) continue;
      let at = top.length;
      while (at > 0 && top[at - 1].viewers < viewers) at -= 1;
      top.splice(at, 0, { roomId, viewers });
      if (top.length > MAX_TOP_ROOMS) top.pop();
    }
    return { connections: sessions.size, rooms: rooms.length, viewers: total, topRooms: top };
  };
}
