import { DEFAULT_MEMBER_CAP_PER_SHARD, DEFAULT_MEMBER_SHARDS, memberShard } from './member-shard';
import { PresenceMember, RoomPresenceDelta } from './presence-delta';
import { positiveInteger } from './positive-integer';

export interface PresenceTrackerOptions {
  shards?: number;
  memberCapPerShard?: number;
}

/**
 * One user in one room on this gateway: one per viewer, so it holds its fields itself (the
 * PresenceMember the list shows is made when a drain or a change needs one).
 */
class UserInRoom {
  listed = false;

  constructor(
    readonly userId: string,
    readonly nickname: string,
    /**
     * The user's sockets in the room: its one socket id, or a Set once it has several. Most
     * viewers have one, and a Set per viewer would cost more than the rest of its entry.
     */
    public sockets: string | Set<string>,
    readonly shard: number,
  ) {}

  get member(): PresenceMember {
    return { userId: this.userId, nickname: this.nickname };
  }
}

function hasSocket(user: UserInRoom, socketId: string): boolean {
  return typeof user.sockets === 'string' ? user.sockets === socketId : user.sockets.has(socketId);
}

function addSocket(user: UserInRoom, socketId: string): void {
  if (typeof user.sockets !== 'string') user.sockets.add(socketId);
  else if (user.sockets !== socketId) user.sockets = new Set([user.sockets, socketId]);
}

/** Removes the socket; true when the user has none left in the room. */
function removeSocket(user: UserInRoom, socketId: string): boolean {
  if (typeof user.sockets === 'string') return user.sockets === socketId;
  user.sockets.delete(socketId);
  if (user.sockets.size === 1) user.sockets = user.sockets.values().next().value as string;
  return false;
}

/** One shard of a room's member list on this gateway. */
interface ShardListing {
  /** Users listed (each knows it: UserInRoom.listed). */
  listed: number;
  /** Users counted but not listed (shard full), in arrival order: the first fills a freed slot. */
  waiting: Set<string>;
}

/** A user's list entry as the last drain left it (`before`) and as it is now (`after`). */
interface ListingChange {
  before: PresenceMember | null;
  after: PresenceMember | null;
}

class RoomPresence {
  readonly users = new Map<string, UserInRoom>();
  readonly shards = new Map<number, ShardListing>();
  readonly changes = new Map<string, ListingChange>();
  readonly arrived = new Set<string>();
  /** A new room (or a restored one) has never been written whole. */
  resync = true;
  changed = true;

  shard(index: number): ShardListing {
    let listing = this.shards.get(index);
    if (!listing) {
      listing = { listed: 0, waiting: new Set() };
      this.shards.set(index, listing);
    }
    return listing;
  }

  list(user: UserInRoom): void {
    user.listed = true;
    this.shard(user.shard).listed += 1;
    this.recordChange(user.userId, null, user.member);
  }

  unlist(user: UserInRoom): void {
    user.listed = false;
    this.shard(user.shard).listed -= 1;
    this.recordChange(user.userId, user.member, null);
  }

  private recordChange(userId: string, before: PresenceMember | null, after: PresenceMember | null): void {
    const change = this.changes.get(userId);
    if (change) change.after = after;
    else this.changes.set(userId, { before, after });
  }
}

/**
 * Pure in-memory accounting of one gateway (no I/O): rooms → users → sockets. A user with several
 * sockets in a room counts once; the member list keeps at most `memberCapPerShard` users per shard.
 * The caller says which user a socket is (join and leave); there is no index by socket, since
 * the gateway keeps each socket's rooms itself.
 */
export class PresenceTracker {
  private readonly shards: number;
  private readonly memberCapPerShard: number;
  private readonly roomsById = new Map<string, RoomPresence>();

  constructor(options: PresenceTrackerOptions = {}) {
    this.shards = positiveInteger('shards', options.shards ?? DEFAULT_MEMBER_SHARDS);
    this.memberCapPerShard = positiveInteger(
      'memberCapPerShard',
      options.memberCapPerShard ?? DEFAULT_MEMBER_CAP_PER_SHARD,
    );
  }

  /** A socket entered a room. Returns true when this is the user's first socket in the room on this gateway. */
  join(roomId: string, socketId: string, member: PresenceMember): boolean {
    let room = this.roomsById.get(roomId);
    if (!room) {
      room = new RoomPresence();
      this.roomsById.set(roomId, room);
    }
    const present = room.users.get(member.userId);
    if (present) {
      addSocket(present, socketId);
      return false;
    }
    const user = new UserInRoom(
      member.userId,
      member.nickname,
      socketId,
      memberShard(member.userId, this.shards),
    );
    room.users.set(member.userId, user);
    if (room.shard(user.shard).listed < this.memberCapPerShard) room.list(user);
    else room.shard(user.shard).waiting.add(member.userId);
    room.arrived.add(member.userId);
    room.changed = true;
    return true;
  }

  /** A socket left a room. Returns true when it was the user's last socket in the room here. */
  leave(roomId: string, socketId: string, userId: string): boolean {
    const room = this.roomsById.get(roomId);
    const user = room?.users.get(userId);
    if (!room || !user || !hasSocket(user, socketId)) return false;
    if (!removeSocket(user, socketId)) return false;

    room.users.delete(userId);
    room.changed = true;
    const listing = room.shard(user.shard);
    if (user.listed) {
      room.unlist(user);
      const [next] = listing.waiting;
      const promoted = next === undefined ? undefined : room.users.get(next);
      if (promoted) {
        listing.waiting.delete(promoted.userId);
        room.list(promoted);
      }
    } else {
      listing.waiting.delete(userId);
    }
    if (listing.listed === 0 && listing.waiting.size === 0) room.shards.delete(user.shard);
    return true;
  }

  /** Distinct users in the room on this gateway. */
  count(roomId: string): number {
    return this.roomsById.get(roomId)?.users.size ?? 0;
  }

  /** Rooms with at least one member on this gateway. */
  rooms(): string[] {
    return [...this.roomsById].filter(([, room]) => room.users.size > 0).map(([roomId]) => roomId);
  }

  /** Socket ids of a user in a room on this gateway. */
  socketsOf(roomId: string, userId: string): string[] {
    const sockets = this.roomsById.get(roomId)?.users.get(userId)?.sockets;
    if (sockets === undefined) return [];
    return typeof sockets === 'string' ? [sockets] : [...sockets];
  }

  /**
   * What the next flush writes: every room that has members or changed since the last drain.
   * A room drained empty (count 0) is reported this once, then forgotten.
   */
  drain(): RoomPresenceDelta[] {
    const deltas: RoomPresenceDelta[] = [];
    for (const [roomId, room] of this.roomsById) {
      if (room.users.size === 0 && !room.changed) continue;
      const joined: PresenceMember[] = [];
      const left: PresenceMember[] = [];
      for (const { before, after } of room.changes.values()) {
        if (before && after && before.nickname === after.nickname) continue;
        if (before) left.push(before);
        if (after) joined.push(after);
      }
      const members: PresenceMember[] = [];
      if (room.resync) {
        for (const user of room.users.values()) if (user.listed) members.push(user.member);
      }
      const listedShards: number[] = [];
      for (const [shard, listing] of room.shards) if (listing.listed > 0) listedShards.push(shard);
      deltas.push({
        roomId,
        count: room.users.size,
        joined,
        left,
        members,
        resync: room.resync,
        arrived: [...room.arrived],
        listedShards: listedShards.sort((a, b) => a - b),
      });
      room.changes.clear();
      room.arrived.clear();
      room.resync = false;
      room.changed = false;
      if (room.users.size === 0) this.roomsById.delete(roomId);
    }
    return deltas;
  }

  /**
   * A flush failed: the deltas go back so the next drain writes those rooms whole. Their arrivals
   * are kept for viewers-ever; their joined/left need no replay, since a resync rewrites the sets.
   */
  restore(deltas: RoomPresenceDelta[]): void {
    for (const delta of deltas) {
      let room = this.roomsById.get(delta.roomId);
      if (!room) {
        // Emptied and forgotten: it comes back once more so the next flush clears its entries.
        room = new RoomPresence();
        this.roomsById.set(delta.roomId, room);
      }
      room.resync = true;
      room.changed = true;
      for (const userId of delta.arrived) room.arrived.add(userId);
    }
  }
}
