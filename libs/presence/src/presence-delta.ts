/** A user as the online list shows them. */
export interface PresenceMember {
  userId: string;
  nickname: string;
}

/** What one flush writes for one room of one gateway (see PresenceTracker.drain). */
export interface RoomPresenceDelta {
  roomId: string;
  /** Distinct users in the room on this gateway, listed or not. */
  count: number;
  /**
   * Members added to this gateway's list since the last drain. Below the per-shard cap these are
   * the users whose first socket arrived; past it, also waiting users promoted into a freed slot.
   */
  joined: PresenceMember[];
  /** Members removed from the list since the last drain (with the nickname that was listed). */
  left: PresenceMember[];
  /** Every current member (only when resync is true; otherwise empty). */
  members: PresenceMember[];
  /** The room's sets must be rewritten whole from `members` (first flush, or after `restore`). */
  resync: boolean;
  /** Users whose first socket arrived since the last drain, listed or not: viewers-ever. */
  arrived: string[];
  /** Shards in which this gateway lists members of the room: their sets' lease is refreshed. */
  listedShards: number[];
}
