import type { Actor, Lane } from '@live-im/contracts';
import type { TextBatch } from './batch-event';
import { RoomEntries } from './room-entries';
import type { GatewaySocket } from './socket-types';

/** A socket's standing in one room: admitted, or waiting for room.join to answer. */
export interface RoomEntry {
  state: 'joining' | 'joined';
  /**
   * While joining: settles when the join that created the entry is over, whatever its outcome.
   * Dropped then, so a joined socket does not keep a settled promise for as long as it stays.
   */
  settled?: Promise<void>;
  /** While joining: the room's batches that reached the gateway, replayed once admitted. */
  held?: TextBatch[];
  /**
   * Once joined, per lane the last seq the join's answer covered (its `seqs`, `recent`, `missed`):
   * live batches up to it were answered already, so they are not sent again. Cleared per lane by
   * the first batch beyond it.
   */
  answeredThrough?: Partial<Record<Lane, number>>;
}

/**
 * One connected socket: who it is (verified at the handshake) and its rooms. The entry of a room
 * exists from the moment the socket subscribes for it until it leaves; whoever deletes the entry
 * releases what the entry holds (the subscription, and once joined the presence and the io room).
 * The session is its own book of rooms (`rooms` is the session as RoomEntries): one object per
 * connection rather than two.
 */
export class SocketSession extends RoomEntries {
  constructor(
    readonly socket: GatewaySocket,
    readonly actor: Actor,
    readonly anonymous: boolean,
    /** The token's expiry (epoch ms), null for anonymous viewers: past it the socket may still watch, not send. */
    readonly expiresAt: number | null,
  ) {
    super();
  }

  /** The socket's rooms by room id. */
  get rooms(): RoomEntries {
    return this;
  }

  get id(): string {
    return this.socket.id;
  }

  get userId(): string {
    return this.actor.userId;
  }

  get connected(): boolean {
    return this.socket.connected;
  }

  isJoined(roomId: string): boolean {
    return this.rooms.get(roomId)?.state === 'joined';
  }
}
