import type { RoomPublication } from '@live-im/broadcast';

/**
 * Where appended messages leave for the broadcast cluster. RoomPublisher is the real one; false
 * means the message was not routed (no active node, or the node's queue is full).
 */
export interface BroadcastOutlet {
  publish(message: RoomPublication): boolean;
}

export const BROADCAST_OUTLET = Symbol('BROADCAST_OUTLET');
